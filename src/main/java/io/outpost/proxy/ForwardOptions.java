package io.outpost.proxy;

/**
 * Per-service settings of a forwarded attempt, built once per configuration so the hot path
 * allocates nothing for them.
 *
 * @param connectTimeoutMillis        how long a new upstream connection may take
 * @param responseHeaderTimeoutMillis how long after the request is sent the response head may take (504)
 * @param passHostHeader              keep the client's Host header, else send the endpoint's authority
 * @param idleTimeoutMillis           how long a connection the attempt gives back to the pool may sit
 *                                    there unused before it is closed
 */
public record ForwardOptions(int connectTimeoutMillis, long responseHeaderTimeoutMillis, boolean passHostHeader,
                             long idleTimeoutMillis) {

    /** The default {@link #idleTimeoutMillis}: {@code timeouts.idle}'s, as Traefik's {@code idleConnTimeout}. */
    public static final long DEFAULT_IDLE_MILLIS = 90_000;

    public static final ForwardOptions DEFAULTS = new ForwardOptions(5_000, 60_000, true);

    /** With the default idle timeout. */
    public ForwardOptions(int connectTimeoutMillis, long responseHeaderTimeoutMillis, boolean passHostHeader) {
        this(connectTimeoutMillis, responseHeaderTimeoutMillis, passHostHeader, DEFAULT_IDLE_MILLIS);
    }

    public ForwardOptions {
        if (connectTimeoutMillis <= 0) {
            throw new IllegalArgumentException("connectTimeoutMillis: " + connectTimeoutMillis + " (expected: > 0)");
        }
        if (responseHeaderTimeoutMillis <= 0) {
            throw new IllegalArgumentException(
                    "responseHeaderTimeoutMillis: " + responseHeaderTimeoutMillis + " (expected: > 0)");
        }
        if (idleTimeoutMillis <= 0) {
            throw new IllegalArgumentException("idleTimeoutMillis: " + idleTimeoutMillis + " (expected: > 0)");
        }
    }
}
