package io.outpost.middleware;

import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.AsciiString;
import io.outpost.config.MiddlewareConfig;
import java.util.List;

/**
 * Lets a service that listens on {@code /} be exposed under a prefix. As in Traefik, the first
 * configured prefix that the path starts with is removed (a plain string prefix: {@code /api}
 * also strips {@code /apiv2} to {@code /v2}), the result always starts with {@code /}, the query
 * is kept, and {@code X-Forwarded-Prefix} tells the service what was removed so it can build
 * links. The client's own {@code X-Forwarded-Prefix} is replaced, never trusted.
 */
final class StripPrefixMiddleware implements Middleware {

    static final AsciiString X_FORWARDED_PREFIX = AsciiString.cached("X-Forwarded-Prefix");

    private final String[] prefixes;

    StripPrefixMiddleware(String name, MiddlewareConfig.StripPrefix config) {
        List<String> list = config.prefixes();
        if (list.isEmpty()) {
            throw Middlewares.invalid(name, "prefixes: empty (expected: at least one prefix)");
        }
        prefixes = new String[list.size()];
        for (int i = 0; i < prefixes.length; i++) {
            prefixes[i] = Targets.checkPath(name, "prefixes[" + i + "]", list.get(i));
        }
    }

    @Override
    public void handle(Exchange exchange, Next next) {
        HttpRequest request = exchange.request();
        String uri = request.uri();
        int pathEnd = Targets.pathEnd(uri);
        for (String prefix : prefixes) {
            if (pathEnd >= prefix.length() && uri.startsWith(prefix)) {
                int rest = prefix.length();
                String path;
                if (rest == pathEnd) {
                    path = "/";
                } else if (uri.charAt(rest) == '/') {
                    path = uri.substring(rest, pathEnd);
                } else {
                    path = "/".concat(uri.substring(rest, pathEnd));
                }
                Targets.setPath(request, uri, pathEnd, path);
                request.headers().set(X_FORWARDED_PREFIX, prefix);
                break;
            }
        }
        next.proceed(exchange);
    }
}
