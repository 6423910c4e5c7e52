package io.outpost.proxy;

/**
 * Per-service settings of a forwarded attempt, built once per configuration so the hot path
 * allocates nothing for them.
 *
 * @param connectTimeoutMillis        how long a new upstream connection may take
 * @param responseHeaderTimeoutMillis how long after the request is sent the response head may take (504)
 * @param passHostHeader              keep the client's Host header, else send the endpoint's authority
 */
public record ForwardOptions(int connectTimeoutMillis, long responseHeaderTimeoutMillis, boolean passHostHeader) {

    public static final ForwardOptions DEFAULTS = new ForwardOptions(5_000, 60_000, true);

    public ForwardOptions {
        if (connectTimeoutMillis <= 0) {
            throw new IllegalArgumentException("connectTimeoutMillis: " + connectTimeoutMillis + " (expected: > 0)");
        }
        if (responseHeaderTimeoutMillis <= 0) {
            throw new IllegalArgumentException(
                    "responseHeaderTimeoutMillis: " + responseHeaderTimeoutMillis + " (expected: > 0)");
        }
    }
}
