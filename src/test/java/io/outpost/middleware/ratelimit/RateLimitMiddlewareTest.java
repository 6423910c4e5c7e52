package io.outpost.middleware.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.config.MiddlewareConfig;
import io.outpost.config.RequestKey;
import io.outpost.middleware.auth.SecurityFixture;
import io.outpost.testing.RawHttp;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimitMiddlewareTest {

    private final AtomicLong ticker = new AtomicLong();

    private RateLimitMiddleware limit(RequestKey key) {
        // 2 per second, bursts of 2.
        return new RateLimitMiddleware("rl", new MiddlewareConfig.RateLimit(2, Duration.ofSeconds(1), 2, key, 1000),
                ticker::get);
    }

    @Test
    void theExcessGets429WithRetryAfterAndRateLimitHeaders() throws Exception {
        try (SecurityFixture f = SecurityFixture.start(limit(new RequestKey(RequestKey.Source.HEADER, "X-Till")))) {
            RawHttp.Response first = f.get("/", "X-Till: 1");
            assertThat(first.status()).isEqualTo(200);
            assertThat(first.header("ratelimit-limit")).isEqualTo("2");
            assertThat(first.header("ratelimit-remaining")).isEqualTo("1");
            assertThat(first.header("ratelimit-reset")).isEqualTo("1");
            assertThat(f.get("/", "X-Till: 1").header("ratelimit-remaining")).isEqualTo("0");

            RawHttp.Response denied = f.get("/", "X-Till: 1");
            assertThat(denied.status()).isEqualTo(429);
            assertThat(denied.header("retry-after")).isEqualTo("1");
            assertThat(denied.header("ratelimit-limit")).isEqualTo("2");
            assertThat(denied.header("ratelimit-remaining")).isEqualTo("0");
            assertThat(denied.header("ratelimit-reset")).isEqualTo("1");
            assertThat(f.get("/", "X-Till: 2").status()).isEqualTo(200);
            assertThat(f.backend.hits()).isEqualTo(3);

            ticker.addAndGet(TimeUnit.MILLISECONDS.toNanos(500));
            assertThat(f.get("/", "X-Till: 1").status()).isEqualTo(200);
            assertThat(f.get("/", "X-Till: 1").status()).isEqualTo(429);
        }
    }

    @Test
    void theConsumerCanBeTheKey() throws Exception {
        try (SecurityFixture f = SecurityFixture.start(SecurityFixture.apiKey(false), limit(RequestKey.CONSUMER))) {
            assertThat(f.get("/", "X-API-Key: pos-secret-key").status()).isEqualTo(200);
            assertThat(f.get("/", "X-API-Key: pos-secret-key").status()).isEqualTo(200);
            assertThat(f.get("/", "X-API-Key: pos-secret-key").status()).isEqualTo(429);
            assertThat(f.get("/", "X-API-Key: bo-secret-key").status()).isEqualTo(200);
        }
    }
}
