package io.outpost.proxy;

/**
 * What a service hears about one attempt to forward a request. Services use it to retry on
 * another endpoint, to count active requests and to feed passive health. All callbacks run on the
 * exchange's event loop.
 */
public interface ForwardListener {

    /** Does nothing: a failure answers 502 or 504. */
    ForwardListener NONE = new ForwardListener() { };

    /**
     * The request did not reach the upstream: the connection failed or was reset before any
     * response byte, and no body byte has been lost, so the request can be sent elsewhere. Return
     * true after calling {@link ProxyExchange#forward} again; false lets the exchange answer 502.
     */
    default boolean onNotReached(ProxyExchange exchange, UpstreamTarget target, Throwable cause) {
        return false;
    }

    /**
     * A response head with {@code status} arrived for a request that could be sent again, before the
     * client saw anything. Return true to discard it: the exchange then calls {@link #onNotReached}
     * with a {@link RetriedResponse} cause.
     */
    default boolean retryResponse(ProxyExchange exchange, UpstreamTarget target, int status) {
        return false;
    }

    /**
     * No response head came within the response header timeout, for a request that could be sent
     * again. Return true to give the attempt up: the exchange then calls {@link #onNotReached} with a
     * {@link RetriedResponse} of 504; false answers 504. Kept apart from {@link #retryResponse} so that
     * a service can fail over on a timeout yet relay a 504 the upstream sent; by default both are
     * judged alike.
     */
    default boolean retryTimeout(ProxyExchange exchange, UpstreamTarget target) {
        return retryResponse(exchange, target, 504);
    }

    /**
     * A new upstream connection is about to be opened for this attempt (no idle one was left).
     * Returning false refuses it, and the exchange answers 503 with {@code Retry-After}: this is
     * where a service enforces its connection and pending-request limits.
     */
    default boolean beforeConnect(ProxyExchange exchange, UpstreamTarget target) {
        return true;
    }

    /** The connection attempt allowed by {@link #beforeConnect} ended, opened or not. */
    default void afterConnect(ProxyExchange exchange, UpstreamTarget target) {
    }

    /** A connection allowed by {@link #beforeConnect} and opened closed, whoever used it last. */
    default void connectionClosed(UpstreamTarget target) {
    }

    /** The upstream's response head arrived. */
    default void onResponse(ProxyExchange exchange, UpstreamTarget target, int status) {
    }

    /**
     * The attempt ended: {@code outcome} is the upstream status relayed to the client, or a negative
     * code (-status of a local answer, -502, -504, -499 client gone, -1 broken response). Called
     * exactly once per {@link ProxyExchange#forward} call, except when {@link #onNotReached} returned true.
     */
    default void onEnd(ProxyExchange exchange, UpstreamTarget target, int outcome) {
    }
}
