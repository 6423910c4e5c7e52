package io.outpost.middleware;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.outpost.config.MiddlewareConfig;

/**
 * Reads the whole request body at the gateway before the service sees the request, so that a slow
 * or stalled client (a store terminal on a bad link) never holds an upstream connection, and a
 * request that failed to reach its endpoint can be sent again. Bodies over
 * {@code maxRequestBodyBytes} get 413: at once when their length is declared, else when they grow
 * past it.
 */
final class BufferingMiddleware implements Middleware {

    private final long max;
    private final String tooLarge;

    BufferingMiddleware(String name, MiddlewareConfig.Buffering config) {
        if (config.maxRequestBodyBytes() <= 0) {
            throw Middlewares.invalid(name, "maxRequestBodyBytes: " + config.maxRequestBodyBytes() + " (expected: > 0)");
        }
        max = config.maxRequestBodyBytes();
        tooLarge = LocalErrors.body(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                "request body is larger than " + max + " bytes");
    }

    @Override
    public void handle(Exchange exchange, Next next) {
        if (LocalErrors.declaredOver(exchange, max)) {
            exchange.respond(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, null, LocalErrors.JSON, tooLarge);
            return;
        }
        exchange.bufferRequestBody(max);
        next.proceed(exchange);
    }
}
