package io.outpost.middleware;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.outpost.config.MiddlewareConfig;
import io.outpost.upstream.Ticker;
import io.outpost.upstream.resilience.CircuitBreaker;
import java.util.random.RandomGenerator;

/**
 * Traefik's {@code circuitBreaker}: watches the error ratio (5xx, gateway errors, broken
 * connections) and the latency of what passes, opens when either crosses its threshold, answers
 * 503 with {@code Retry-After} while open, then lets a growing share through while half-open. A
 * client that leaves (499) counts for neither side.
 */
final class CircuitBreakerMiddleware implements Middleware, Exchange.CompletionListener {

    private final CircuitBreaker breaker;
    private final String open;
    private final HttpHeaders openHeaders;

    CircuitBreakerMiddleware(String name, MiddlewareConfig.CircuitBreaker config, Ticker ticker, RandomGenerator random) {
        if (config.errorRatio().isEmpty() && config.latencyThreshold().isEmpty()) {
            throw Middlewares.invalid(name, "expected errorRatio or latencyThreshold");
        }
        try {
            CircuitBreaker.Builder b = CircuitBreaker.builder(ticker, random)
                    .errorRatio(config.errorRatio().orElse(1.0))
                    .minRequests(config.minRequests())
                    .window(config.window(), 10)
                    .fallbackDuration(config.fallbackDuration())
                    .recoveryDuration(config.recoveryDuration());
            config.latencyThreshold().ifPresent(t -> b.latencyThreshold(t, 0.5));
            this.breaker = b.build();
        } catch (IllegalArgumentException e) {
            throw Middlewares.invalid(name, e.getMessage());
        }
        this.open = LocalErrors.body(HttpResponseStatus.SERVICE_UNAVAILABLE, "circuit breaker " + name + " is open");
        this.openHeaders = new DefaultHttpHeaders().set("Retry-After",
                Long.toString(Math.max(1, config.fallbackDuration().toSeconds())));
    }

    @Override
    public void handle(Exchange exchange, Next next) {
        if (!breaker.tryAcquire()) {
            exchange.respond(HttpResponseStatus.SERVICE_UNAVAILABLE, openHeaders, LocalErrors.JSON, open);
            return;
        }
        exchange.onComplete(this);
        next.proceed(exchange);
    }

    @Override
    public void onComplete(Exchange exchange, int status, long durationNanos) {
        if (status != 499) {
            breaker.onResult(durationNanos, status >= 500 || status <= 0);
        }
    }

    CircuitBreaker.State state() {
        return breaker.state();
    }
}
