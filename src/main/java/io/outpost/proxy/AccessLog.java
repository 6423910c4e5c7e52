package io.outpost.proxy;

/** Receives every finished request (the access log, the request metrics); implementations must not block the event loop. */
@FunctionalInterface
public interface AccessLog {

    AccessLog NONE = (entry, nanos) -> { };

    void log(Entry entry, long durationNanos);

    /**
     * What an access-log line tells about one request: a {@link ProxyExchange}, or a request the
     * gateway refused before it became one (a malformed head, a bad {@code Host}). A value that is
     * not known is empty (or null).
     */
    interface Entry {
        String requestId();

        String clientIp();

        String method();

        String host();

        /** The path, without the query; normalised when the request was routed. */
        String path();

        /** The request target as it arrived, query included. */
        String uri();

        int status();

        long requestBytes();

        long responseBytes();

        String routerName();

        String serviceName();

        /** The upstream that answered (its pool key), or empty. */
        String upstream();

        /** The entry point the request came in on, or empty. */
        default String entryPoint() {
            return "";
        }
    }
}
