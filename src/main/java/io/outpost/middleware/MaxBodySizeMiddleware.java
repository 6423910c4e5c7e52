package io.outpost.middleware;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.outpost.config.MiddlewareConfig;

/**
 * Caps request bodies without buffering them. A declared {@code Content-Length} over the limit is
 * answered 413 here, before later middlewares spend anything on the request; a chunked body is
 * counted as it streams, and the proxy answers 413 (or closes, if the response has started) as
 * soon as it grows past the limit.
 */
final class MaxBodySizeMiddleware implements Middleware {

    private final long limit;
    private final String tooLarge;

    MaxBodySizeMiddleware(String name, MiddlewareConfig.MaxBodySize config) {
        if (config.limit() < 0) {
            throw Middlewares.invalid(name, "limit: " + config.limit() + " (expected: >= 0)");
        }
        limit = config.limit();
        tooLarge = LocalErrors.body(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                "request body is larger than " + limit + " bytes");
    }

    @Override
    public void handle(Exchange exchange, Next next) {
        if (LocalErrors.declaredOver(exchange, limit)) {
            exchange.respond(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, null, LocalErrors.JSON, tooLarge);
            return;
        }
        exchange.limitRequestBody(limit);
        next.proceed(exchange);
    }
}
