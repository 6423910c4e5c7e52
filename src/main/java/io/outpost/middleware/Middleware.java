package io.outpost.middleware;

/**
 * One step of a router's chain. A middleware looks at or changes the request, then either passes
 * the exchange on with {@link Next#proceed(Exchange)} or answers it with
 * {@link Exchange#respond}. It may also do so later, from another thread, for example after an
 * authorisation call; the exchange hops back to its event loop by itself.
 *
 * <p>Every middleware is built from its configuration by a factory, the same
 * shape for all of them. Middlewares are shared by all requests of a configuration snapshot, so
 * they keep no per-request state in fields.
 *
 * <pre>{@code
 * Middleware addHeader = (exchange, next) -> {
 *     exchange.request().headers().set("X-Edge", "store-12");
 *     next.proceed(exchange);
 * };
 * }</pre>
 */
@FunctionalInterface
public interface Middleware {

    void handle(Exchange exchange, Next next);
}
