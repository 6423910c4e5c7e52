package io.outpost.middleware.ratelimit;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.outpost.config.MiddlewareConfig;
import io.outpost.config.RequestKey;
import io.outpost.middleware.Exchange;
import io.outpost.middleware.Middleware;
import io.outpost.middleware.Next;
import io.outpost.middleware.auth.RequestKeys;
import io.outpost.middleware.auth.Rejections;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Limits the request rate per source with a token bucket ({@link TokenBucketLimiter}): {@code average}
 * requests per {@code period}, bursts up to {@code burst}. The source is the client IP, a header, a
 * validated claim or the consumer; requests without it share one bucket. The excess gets 429 with
 * {@code Retry-After}; every answer carries {@code RateLimit-Limit} (the burst),
 * {@code RateLimit-Remaining} and {@code RateLimit-Reset} (seconds until the bucket is full).
 */
public final class RateLimitMiddleware implements Middleware {

    static final String LIMIT = "RateLimit-Limit";
    static final String REMAINING = "RateLimit-Remaining";
    static final String RESET = "RateLimit-Reset";

    private final TokenBucketLimiter limiter;
    private final RequestKey source;
    private final String limit;
    private final String tooMany = Rejections.body(HttpResponseStatus.TOO_MANY_REQUESTS, "rate limit exceeded");

    public RateLimitMiddleware(String name, MiddlewareConfig.RateLimit config, LongSupplier ticker) {
        if (config.average() <= 0 || config.burst() <= 0) {
            throw new IllegalArgumentException("middleware " + name + ": average and burst must be > 0");
        }
        limiter = new TokenBucketLimiter(config.average(), config.period(), config.burst(), config.maxKeys(), ticker);
        source = config.sourceCriterion();
        limit = Long.toString(config.burst());
    }

    @Override
    public void handle(Exchange exchange, Next next) {
        String key = RequestKeys.value(source, exchange);
        long result = limiter.tryAcquire(key == null ? "" : key);
        if (result < 0) {
            long wait = TokenBucketLimiter.retryAfterNanos(result);
            HttpHeaders h = new DefaultHttpHeaders();
            h.set(HttpHeaderNames.RETRY_AFTER, seconds(wait));
            h.set(LIMIT, limit);
            h.set(REMAINING, "0");
            h.set(RESET, seconds(limiter.nanosUntilFull(0)));
            exchange.respond(HttpResponseStatus.TOO_MANY_REQUESTS, h, Rejections.JSON, tooMany);
            return;
        }
        exchange.onResponse(new Stamp(result, seconds(limiter.nanosUntilFull(result))));
        next.proceed(exchange);
    }

    TokenBucketLimiter limiter() {
        return limiter;
    }

    /** Whole seconds, rounded up, at least 1. */
    static String seconds(long nanos) {
        return Long.toString(Math.max(1, (nanos + TimeUnit.SECONDS.toNanos(1) - 1) / TimeUnit.SECONDS.toNanos(1)));
    }

    /** Puts the rate-limit headers on the response of a request that passed. */
    private final class Stamp implements Exchange.ResponseListener {
        private final long remaining;
        private final String reset;

        Stamp(long remaining, String reset) {
            this.remaining = remaining;
            this.reset = reset;
        }

        @Override
        public void onResponse(Exchange exchange, HttpResponse response) {
            HttpHeaders h = response.headers();
            h.set(LIMIT, limit);
            h.set(REMAINING, Long.toString(remaining));
            h.set(RESET, reset);
        }
    }
}
