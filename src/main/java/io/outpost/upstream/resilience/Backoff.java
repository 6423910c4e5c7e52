package io.outpost.upstream.resilience;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with full jitter: the delay before retry {@code n} (0-based) is uniform in
 * {@code [0, min(max, base × 2^n)]}. Full jitter spreads retries of many clients apart, which
 * matters more than the mean delay (see the AWS architecture blog on backoff and jitter).
 */
public final class Backoff {

    private final long baseNanos;
    private final long maxNanos;
    private final RandomGenerator random;

    public Backoff(Duration base, Duration max, RandomGenerator random) {
        if (base.isNegative() || base.isZero()) {
            throw new IllegalArgumentException("base: " + base + " (expected: > 0)");
        }
        if (max.compareTo(base) < 0) {
            throw new IllegalArgumentException("max: " + max + " (expected: >= base " + base + ")");
        }
        this.baseNanos = base.toNanos();
        this.maxNanos = max.toNanos();
        this.random = random;
    }

    /** The upper bound of the delay before retry {@code attempt}. */
    public long ceilingNanos(int attempt) {
        if (attempt < 0) {
            throw new IllegalArgumentException("attempt: " + attempt + " (expected: >= 0)");
        }
        if (attempt >= 62 || baseNanos > (maxNanos >> attempt)) {
            return maxNanos;
        }
        return Math.min(maxNanos, baseNanos << attempt);
    }

    /** A random delay in {@code [0, ceilingNanos(attempt)]}. */
    public long delayNanos(int attempt) {
        long ceiling = ceilingNanos(attempt);
        return ceiling == Long.MAX_VALUE ? random.nextLong(ceiling) : random.nextLong(ceiling + 1);
    }

    public Duration delay(int attempt) {
        return Duration.ofNanos(delayNanos(attempt));
    }
}
