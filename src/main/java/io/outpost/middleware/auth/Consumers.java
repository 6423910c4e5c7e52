package io.outpost.middleware.auth;

import io.outpost.middleware.Exchange;

/**
 * The consumer (the calling application or user) that an authentication middleware identified:
 * apiKey's key owner, basicAuth's user, or jwt's {@code consumerClaim}. Rate limits, quotas and a
 * router's {@code allow} list key on it.
 */
public final class Consumers {

    /** The exchange attribute that holds the consumer name, a {@code String}. */
    public static final String ATTRIBUTE = "outpost.auth.consumer";

    private Consumers() {
    }

    /** The consumer of {@code exchange}, or null when none was identified. */
    public static String of(Exchange exchange) {
        return exchange.attribute(ATTRIBUTE) instanceof String s ? s : null;
    }

    static void set(Exchange exchange, String consumer) {
        exchange.attribute(ATTRIBUTE, consumer);
    }
}
