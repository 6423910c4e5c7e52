package io.outpost.middleware;

import io.netty.handler.codec.http.HttpRequest;
import io.outpost.config.MiddlewareConfig;

/**
 * Puts a fixed prefix in front of the path, for a service that expects to live under one while
 * clients call it at the root. A prefix without a leading {@code /} gets one, as in Traefik; the
 * query is kept. Targets that are not paths ({@code OPTIONS *}) pass untouched.
 */
final class AddPrefixMiddleware implements Middleware {

    private final String prefix;

    AddPrefixMiddleware(String name, MiddlewareConfig.AddPrefix config) {
        String p = config.prefix();
        if (p.isEmpty()) {
            throw Middlewares.invalid(name, "prefix: empty (expected: a path such as /api)");
        }
        prefix = Targets.checkPath(name, "prefix", p.startsWith("/") ? p : "/" + p);
    }

    @Override
    public void handle(Exchange exchange, Next next) {
        HttpRequest request = exchange.request();
        String uri = request.uri();
        if (uri.startsWith("/")) {
            request.setUri(prefix.concat(uri));
        }
        next.proceed(exchange);
    }
}
