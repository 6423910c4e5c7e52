package io.outpost.service;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.outpost.config.StickyConfig;
import io.outpost.router.RequestView;
import io.outpost.upstream.HashKey;
import io.outpost.upstream.XxHash64;

/**
 * Session affinity by cookie, as Traefik does it: the cookie holds an opaque hash of the chosen
 * endpoint (or child service), never its address. The {@code Set-Cookie} header of each choice is
 * built once, so pinning a response costs one header.
 */
final class StickyCookie {

    private final StickyConfig.Cookie config;
    private final HashKey key;

    StickyCookie(StickyConfig.Cookie config) {
        this.config = config;
        this.key = HashKey.parse("cookie:" + config.name());
    }

    String name() {
        return config.name();
    }

    /** The cookie value that names {@code id}: a hex hash, stable across restarts and gateways. */
    static String valueFor(String id) {
        return Long.toHexString(XxHash64.hash(id));
    }

    /** The value the request carries, or null. */
    String valueIn(RequestView request) {
        return key.value(request, null);
    }

    /** The whole {@code Set-Cookie} header value that pins {@code value}. */
    String header(String value) {
        StringBuilder b = new StringBuilder(64).append(config.name()).append('=').append(value).append("; Path=/");
        config.maxAge().ifPresent(age -> b.append("; Max-Age=").append(age.toSeconds()));
        if (config.secure()) {
            b.append("; Secure");
        }
        if (config.httpOnly()) {
            b.append("; HttpOnly");
        }
        if (config.sameSite() != StickyConfig.SameSite.UNSET) {
            String s = config.sameSite().toString();
            b.append("; SameSite=").append(Character.toUpperCase(s.charAt(0))).append(s.substring(1));
        }
        return b.toString();
    }

    static void set(HttpResponse response, String header) {
        response.headers().add(HttpHeaderNames.SET_COOKIE, header);
    }
}
