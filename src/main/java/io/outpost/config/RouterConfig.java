package io.outpost.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Sends requests matching {@code rule} through {@code middlewares} (in order) to {@code service}.
 * Without a priority the longer rule wins; an empty {@code entryPoints} list means every entry point.
 * A non-empty {@code allow} list (consumer names, {@code claim:NAME=VALUE} matches, or CIDRs) answers
 * 403 to every request that matches none of its entries; it runs after the router's middlewares.
 */
public record RouterConfig(
        String rule,
        String service,
        List<String> middlewares,
        OptionalInt priority,
        List<String> entryPoints,
        List<AllowEntry> allow,
        Optional<TlsConfig.Router> tls) {

    /** A router without an {@code allow} list or TLS settings. */
    public RouterConfig(String rule, String service, List<String> middlewares, OptionalInt priority,
            List<String> entryPoints) {
        this(rule, service, middlewares, priority, entryPoints, List.of(), Optional.empty());
    }

    /** A router without TLS settings. */
    public RouterConfig(String rule, String service, List<String> middlewares, OptionalInt priority,
            List<String> entryPoints, List<AllowEntry> allow) {
        this(rule, service, middlewares, priority, entryPoints, allow, Optional.empty());
    }

    public RouterConfig {
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(service, "service");
        middlewares = List.copyOf(middlewares);
        Objects.requireNonNull(priority, "priority");
        entryPoints = List.copyOf(entryPoints);
        allow = List.copyOf(allow);
        Objects.requireNonNull(tls, "tls");
    }

    /** True when this router serves requests that arrive on {@code entryPoint}. */
    public boolean servesEntryPoint(String entryPoint) {
        return entryPoints.isEmpty() || entryPoints.contains(entryPoint);
    }
}
