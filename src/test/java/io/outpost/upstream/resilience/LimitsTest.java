package io.outpost.upstream.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LimitsTest {

    @Test
    void envoyDefaults() {
        ResourceLimits limits = ResourceLimits.defaults();
        assertThat(limits.connections().max()).isEqualTo(1024);
        assertThat(limits.pendingRequests().max()).isEqualTo(1024);
        assertThat(limits.requests().max()).isEqualTo(1024);
        assertThat(limits.retries().max()).isEqualTo(3);
    }

    @Test
    void limitRefusesPastItsCeilingAndRecoversOnRelease() {
        Limit retries = new ResourceLimits(1, 1, 1, 3).retries();
        assertThat(retries.tryAcquire()).isTrue();
        assertThat(retries.tryAcquire()).isTrue();
        assertThat(retries.tryAcquire()).isTrue();
        assertThat(retries.tryAcquire()).isFalse();
        retries.release();
        assertThat(retries.used()).isEqualTo(2);
        assertThat(retries.tryAcquire()).isTrue();
        retries.release();
        retries.release();
        retries.release();
        assertThatThrownBy(retries::release).hasMessage("maxRetries: released more often than acquired");
    }

    @Test
    void limitHoldsUnderContention() throws Exception {
        Limit limit = new Limit("maxRequests", 10);
        AtomicInteger granted = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        CountDownLatch start = new CountDownLatch(1);
        for (int t = 0; t < 4; t++) {
            pool.execute(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 1000; i++) {
                    if (limit.tryAcquire()) {
                        granted.incrementAndGet();
                    }
                }
            });
        }
        start.countDown();
        pool.shutdown();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        assertThat(granted).hasValue(10);
        assertThat(limit.used()).isEqualTo(10);
    }

    @Test
    void retryBudgetIsTwentyPercentWithAFloorOfThree() {
        RetryBudget budget = RetryBudget.defaults();
        assertThat(budget.allowed(0)).isEqualTo(3);
        assertThat(budget.allowed(10)).isEqualTo(3);
        assertThat(budget.allowed(100)).isEqualTo(20);
        for (int i = 0; i < 3; i++) {
            assertThat(budget.tryAcquire(5)).isTrue();
        }
        assertThat(budget.tryAcquire(5)).isFalse();
        assertThat(budget.tryAcquire(20)).isTrue(); // 20 active allow 4
        assertThat(budget.tryAcquire(20)).isFalse();
        budget.release();
        assertThat(budget.activeRetries()).isEqualTo(3);
        assertThatThrownBy(() -> new RetryBudget(120, 3)).hasMessage("budgetPercent: 120.0 (expected: 0-100)");
    }

    @Test
    void backoffIsExponentialWithFullJitter() {
        Backoff backoff = new Backoff(Duration.ofMillis(25), Duration.ofMillis(250), new SplittableRandom(9));
        assertThat(backoff.ceilingNanos(0)).isEqualTo(25_000_000L);
        assertThat(backoff.ceilingNanos(1)).isEqualTo(50_000_000L);
        assertThat(backoff.ceilingNanos(3)).isEqualTo(200_000_000L);
        assertThat(backoff.ceilingNanos(4)).isEqualTo(250_000_000L);
        assertThat(backoff.ceilingNanos(100)).isEqualTo(250_000_000L);
        long sum = 0;
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int i = 0; i < 10_000; i++) {
            long d = backoff.delayNanos(2);
            min = Math.min(min, d);
            max = Math.max(max, d);
            sum += d;
        }
        assertThat(max).isLessThanOrEqualTo(100_000_000L);
        assertThat(min).isLessThan(2_000_000L); // full jitter reaches down to zero
        assertThat(sum / 10_000).isBetween(47_000_000L, 53_000_000L); // mean = ceiling / 2
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), new SplittableRandom()))
                .hasMessageContaining("expected: >= base");
    }
}
