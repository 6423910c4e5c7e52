package io.outpost.middleware.auth;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Answers that the security middlewares give themselves, in the gateway's JSON error shape, built once
 * per middleware so that rejecting a request (the hot path under attack) allocates no text.
 */
public final class Rejections {

    /** The content type of every body built here. */
    public static final String JSON = "application/json";

    private Rejections() {
    }

    /** {@code {"status":401,"error":"Unauthorized","reason":"..."}} and a newline. */
    public static String body(HttpResponseStatus status, String reason) {
        return io.outpost.proxy.LocalResponses.errorJson(status, reason);
    }

    /** Headers holding one header, for answers sent many times; never change them after building. */
    public static HttpHeaders header(CharSequence name, String value) {
        HttpHeaders h = new DefaultHttpHeaders();
        h.set(name, value);
        return h;
    }
}
