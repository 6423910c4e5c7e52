package io.outpost.proxy;

/**
 * The routing of one configuration snapshot. The proxy reads it once per request, so a request
 * finishes on the snapshot it started with even when a reload swaps in another.
 */
@FunctionalInterface
public interface Routing {

    /** Routing that matches nothing: every request gets 404. */
    Routing EMPTY = (entryPoint, exchange) -> null;

    /** The target for a request that arrived on {@code entryPoint}, or null for 404. */
    RouteTarget route(String entryPoint, ProxyExchange exchange);
}
