package io.outpost.middleware.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TokenBucketLimiterTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    @Test
    void burstThenOneTokenPerInterval() {
        var limiter = new TokenBucketLimiter(10, Duration.ofSeconds(1), 3, 100, now::get); // one token per 100 ms
        assertThat(limiter.tryAcquire("a")).isEqualTo(2);
        assertThat(limiter.tryAcquire("a")).isEqualTo(1);
        assertThat(limiter.tryAcquire("a")).isEqualTo(0);
        long denied = limiter.tryAcquire("a");
        assertThat(denied).isNegative();
        assertThat(TokenBucketLimiter.retryAfterNanos(denied)).isEqualTo(TimeUnit.MILLISECONDS.toNanos(100));
        assertThat(limiter.tryAcquire("b")).isEqualTo(2); // keys are independent

        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(99));
        assertThat(limiter.tryAcquire("a")).isNegative();
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(1));
        assertThat(limiter.tryAcquire("a")).isEqualTo(0);
        now.addAndGet(TimeUnit.SECONDS.toNanos(10)); // a long idle time refills only up to the burst
        assertThat(limiter.tryAcquire("a")).isEqualTo(2);
        assertThat(limiter.nanosUntilFull(2)).isEqualTo(TimeUnit.MILLISECONDS.toNanos(100));
    }

    @Test
    void aMillionDistinctKeysStayWithinMaxKeys() {
        var limiter = new TokenBucketLimiter(5, Duration.ofSeconds(1), 5, 10_000, now::get);
        int maxSeen = 0;
        int wrong = 0;
        for (int i = 0; i < 1_000_000; i++) {
            if (limiter.tryAcquire("k" + i) != 4) {
                wrong++;
            }
            if ((i & 0xfff) == 0) {
                maxSeen = Math.max(maxSeen, limiter.size());
            }
        }
        assertThat(wrong).isZero();
        assertThat(maxSeen).isLessThanOrEqualTo(10_000);
        assertThat(limiter.size()).isLessThanOrEqualTo(10_000).isGreaterThan(9_000);
        // The most recent keys are still tracked; the oldest were evicted (and start full again).
        assertThat(limiter.tryAcquire("k999999")).isEqualTo(3);
        assertThat(limiter.tryAcquire("k0")).isEqualTo(4);
    }

    @Test
    void theDefaultCapHoldsToo() {
        var limiter = new TokenBucketLimiter(1, Duration.ofSeconds(1), 1, 100_000, now::get);
        for (int i = 0; i < 1_000_000; i++) {
            limiter.tryAcquire(Integer.toString(i));
        }
        assertThat(limiter.size()).isLessThanOrEqualTo(100_000);
    }
}
