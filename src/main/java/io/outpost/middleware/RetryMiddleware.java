package io.outpost.middleware;

import io.outpost.config.MiddlewareConfig;
import io.outpost.upstream.resilience.Backoff;
import java.util.random.RandomGenerator;

/**
 * Traefik's {@code retry}: a request that could not reach the service (connection refused or reset
 * before any response byte) is sent again, up to {@code attempts} times, with exponential backoff
 * from {@code initialInterval}. Only the service knows where an attempt went, so this middleware
 * hands it a {@link RetryPolicy} and the service retries, on another endpoint when it has one.
 */
final class RetryMiddleware implements Middleware {

    private final RetryPolicy policy;

    RetryMiddleware(String name, MiddlewareConfig.Retry config, RandomGenerator random) {
        if (config.attempts() < 1) {
            throw Middlewares.invalid(name, "attempts: " + config.attempts() + " (expected: >= 1)");
        }
        if (config.initialInterval().isNegative() || config.initialInterval().isZero()) {
            throw Middlewares.invalid(name, "initialInterval: " + config.initialInterval() + " (expected: > 0)");
        }
        // Traefik's attempts count the first try too.
        this.policy = new RetryPolicy(config.attempts() - 1,
                new Backoff(config.initialInterval(), config.initialInterval().multipliedBy(64), random));
    }

    @Override
    public void handle(Exchange exchange, Next next) {
        exchange.attribute(RetryPolicy.ATTRIBUTE, policy);
        next.proceed(exchange);
    }
}
