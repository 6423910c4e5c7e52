package io.outpost.middleware;

import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Bodies for answers that middlewares give themselves, in the same JSON shape as the gateway's own
 * errors, built once per middleware so that rejecting a request (the hot path under attack or
 * overload) allocates no text.
 */
final class LocalErrors {

    static final String JSON = "application/json";

    private LocalErrors() {
    }

    /** {@code {"status":403,"error":"Forbidden","reason":"..."}} followed by a newline. */
    static String body(HttpResponseStatus status, String reason) {
        return io.outpost.proxy.LocalResponses.errorJson(status, reason);
    }

    /** True when the request declares a body length above {@code limit}. */
    static boolean declaredOver(Exchange exchange, long limit) {
        String value = exchange.request().headers().get(io.netty.handler.codec.http.HttpHeaderNames.CONTENT_LENGTH);
        if (value == null) {
            return false;
        }
        try {
            return Long.parseLong(value.trim()) > limit;
        } catch (NumberFormatException e) {
            return false; // the codec rejects malformed lengths itself
        }
    }
}
