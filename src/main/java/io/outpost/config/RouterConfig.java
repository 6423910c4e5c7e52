package io.outpost.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Sends requests matching {@code rule} through {@code middlewares} (in order) to {@code service}.
 * Without a priority the longer rule wins; an empty {@code entryPoints} list means every entry point.
 */
public record RouterConfig(
        String rule,
        String service,
        List<String> middlewares,
        OptionalInt priority,
        List<String> entryPoints,
        Optional<TlsConfig.Router> tls) {

    public RouterConfig {
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(service, "service");
        middlewares = List.copyOf(middlewares);
        Objects.requireNonNull(priority, "priority");
        entryPoints = List.copyOf(entryPoints);
        Objects.requireNonNull(tls, "tls");
    }

    /** A router without TLS settings. */
    public RouterConfig(String rule, String service, List<String> middlewares, OptionalInt priority,
                        List<String> entryPoints) {
        this(rule, service, middlewares, priority, entryPoints, Optional.empty());
    }

    /** True when this router serves requests that arrive on {@code entryPoint}. */
    public boolean servesEntryPoint(String entryPoint) {
        return entryPoints.isEmpty() || entryPoints.contains(entryPoint);
    }
}
