package io.outpost.proxy;

/** Receives every finished exchange; implementations must not block the event loop. */
@FunctionalInterface
public interface AccessLog {

    AccessLog NONE = (exchange, nanos) -> { };

    void log(ProxyExchange exchange, long durationNanos);
}
