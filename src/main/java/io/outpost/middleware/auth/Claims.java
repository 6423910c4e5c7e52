package io.outpost.middleware.auth;

import io.outpost.middleware.Exchange;
import java.util.Collection;
import java.util.Date;
import java.util.Map;

/**
 * The claims of the JWT that the {@code jwt} middleware validated for an exchange. Later middlewares
 * and services read them through {@code claim:NAME} keys (session keys, hash keys, rate-limit keys).
 *
 * <pre>{@code
 * String user = Claims.string(exchange, "sub");   // null when absent or not validated
 * }</pre>
 */
public final class Claims {

    /** The exchange attribute that holds the validated claims, an unmodifiable {@code Map<String, Object>}. */
    public static final String ATTRIBUTE = "outpost.auth.claims";

    private Claims() {
    }

    /** The validated claims of {@code exchange}; empty when no jwt middleware validated a token. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> of(Exchange exchange) {
        Object value = exchange.attribute(ATTRIBUTE);
        return value instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
    }

    /**
     * One claim as text: strings as they are, numbers and booleans in their JSON form, times as epoch
     * seconds, and the first element of an array; null when absent or an object.
     */
    public static String string(Exchange exchange, String name) {
        return text(of(exchange).get(name));
    }

    static void set(Exchange exchange, Map<String, Object> claims) {
        exchange.attribute(ATTRIBUTE, claims);
    }

    static String text(Object value) {
        if (value instanceof String s) {
            return s;
        }
        if (value instanceof Number || value instanceof Boolean) {
            return value.toString();
        }
        if (value instanceof Date d) {
            return Long.toString(d.getTime() / 1000);
        }
        if (value instanceof Collection<?> c && !c.isEmpty()) {
            return text(c.iterator().next());
        }
        return null;
    }

    /** True when the claim equals {@code expected}, or is an array that contains it. */
    static boolean matches(Object value, String expected) {
        if (value instanceof Collection<?> c) {
            for (Object item : c) {
                if (expected.equals(text(item))) {
                    return true;
                }
            }
            return false;
        }
        return expected.equals(text(value));
    }
}
