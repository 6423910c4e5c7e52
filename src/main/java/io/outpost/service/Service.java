package io.outpost.service;

import io.outpost.proxy.ProxyExchange;
import io.outpost.upstream.Endpoint;
import java.util.List;

/**
 * The end of a router's chain: decides where a request goes and forwards it. A service either
 * calls {@link ProxyExchange#forward} or answers through {@link ProxyExchange#fail}.
 */
public interface Service {

    void handle(ProxyExchange exchange);

    /**
     * The endpoints this service sends requests to itself and whose health it tracks ({@link Endpoint#healthy()}),
     * for {@code outpost_service_endpoint_up}; empty for a service that hands requests to other services.
     */
    default List<Endpoint> endpoints() {
        return List.of();
    }

    /** What the admin API shows for this service: plain maps, lists and scalars. */
    default java.util.Map<String, Object> describe() {
        return java.util.Map.of();
    }

    /**
     * Why this service cannot do all it is configured for (a replicated service whose journal is not open),
     * or empty; the gateway is not ready ({@code GET /ready} answers 503) while any service says why.
     */
    default java.util.Optional<String> notReady() {
        return java.util.Optional.empty();
    }

    /**
     * Releases timers and health checkers when a configuration snapshot is retired, some time
     * after its successor took over. A successor of the same name may have taken over state
     * (endpoint health, an open journal): such state is released only by its last owner.
     */
    default void close() {
    }
}
