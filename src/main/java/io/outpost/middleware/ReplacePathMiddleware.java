package io.outpost.middleware;

import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.AsciiString;
import io.outpost.config.MiddlewareConfig;

/**
 * Sends every request to one fixed path of the service, keeping the query. The path it replaced
 * (as earlier middlewares left it) goes in {@code X-Replaced-Path}, as in Traefik, so the service
 * can still tell what the client asked for.
 */
final class ReplacePathMiddleware implements Middleware {

    static final AsciiString X_REPLACED_PATH = AsciiString.cached("X-Replaced-Path");

    private final String path;

    ReplacePathMiddleware(String name, MiddlewareConfig.ReplacePath config) {
        path = Targets.checkPath(name, "path", config.path());
    }

    @Override
    public void handle(Exchange exchange, Next next) {
        HttpRequest request = exchange.request();
        String uri = request.uri();
        if (uri.startsWith("/")) {
            int pathEnd = Targets.pathEnd(uri);
            request.headers().set(X_REPLACED_PATH, uri.substring(0, pathEnd));
            Targets.setPath(request, uri, pathEnd, path);
        }
        next.proceed(exchange);
    }
}
