package io.outpost.middleware.ratelimit;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Token buckets per key, in a bounded table. Each bucket holds up to {@code burst} tokens and gains
 * {@code average} tokens per {@code period}; a request takes one. The bucket is stored as a single
 * number, its theoretical arrival time (the GCRA form of a token bucket), so a key costs one small
 * object. Time comes from the injected nanosecond ticker; there is no timer.
 *
 * <p>The table holds at most {@code maxKeys} keys. It is split into segments, each an access-ordered
 * map under its own lock, and a full segment drops its least recently used key. A dropped key starts
 * again with a full bucket, which is what an idle key would have had anyway; only a key evicted while
 * still busy gains a fresh burst, and that needs more than {@code maxKeys} active keys.
 *
 * <pre>{@code
 * var limiter = new TokenBucketLimiter(100, Duration.ofSeconds(1), 50, 100_000, System::nanoTime);
 * long r = limiter.tryAcquire("10.0.0.7");
 * if (r < 0) { long waitNanos = TokenBucketLimiter.retryAfterNanos(r); }
 * }</pre>
 */
public final class TokenBucketLimiter {

    private final long intervalNanos;
    private final long burst;
    private final long capacityNanos;
    private final LongSupplier ticker;
    private final Segment[] segments;
    private final int mask;

    public TokenBucketLimiter(long average, Duration period, long burst, int maxKeys, LongSupplier ticker) {
        if (average <= 0 || burst <= 0 || maxKeys <= 0 || period.isZero() || period.isNegative()) {
            throw new IllegalArgumentException("average, burst, maxKeys and period must be > 0");
        }
        this.intervalNanos = Math.max(1, period.toNanos() / average);
        this.burst = burst;
        this.capacityNanos = Math.multiplyExact(intervalNanos, burst);
        this.ticker = ticker;
        int count = Integer.highestOneBit(Math.max(1, Math.min(16, maxKeys / 1024)));
        this.segments = new Segment[count];
        for (int i = 0; i < count; i++) {
            segments[i] = new Segment(Math.max(1, maxKeys / count));
        }
        this.mask = count - 1;
    }

    /**
     * Takes one token for {@code key}. Returns the tokens left ({@code >= 0}) when allowed, or a negative
     * number when denied, from which {@link #retryAfterNanos(long)} gives the wait for the next token.
     */
    public long tryAcquire(String key) {
        int h = key.hashCode();
        Segment segment = segments[(h ^ (h >>> 16)) & mask];
        long now = ticker.getAsLong();
        synchronized (segment) {
            Bucket bucket = segment.get(key);
            if (bucket == null) {
                bucket = new Bucket(now);
                segment.put(key, bucket);
            }
            long tat = Math.max(bucket.tat, now);
            long next = tat + intervalNanos;
            long ahead = next - now;
            if (ahead > capacityNanos) {
                return -(ahead - capacityNanos) - 1;
            }
            bucket.tat = next;
            return (capacityNanos - ahead) / intervalNanos;
        }
    }

    /** For a denied result: nanoseconds until the next token. */
    public static long retryAfterNanos(long result) {
        return -(result + 1);
    }

    /** Nanoseconds until a bucket with {@code remaining} tokens is full again. */
    public long nanosUntilFull(long remaining) {
        return (burst - remaining) * intervalNanos;
    }

    public long burst() {
        return burst;
    }

    /** Keys tracked now; never more than {@code maxKeys}. */
    public int size() {
        int n = 0;
        for (Segment s : segments) {
            synchronized (s) {
                n += s.size();
            }
        }
        return n;
    }

    private static final class Bucket {
        long tat;

        Bucket(long tat) {
            this.tat = tat;
        }
    }

    private static final class Segment extends LinkedHashMap<String, Bucket> {
        private final int capacity;

        Segment(int capacity) {
            super(Math.min(capacity, 1024) * 2, 0.75f, true);
            this.capacity = capacity;
        }

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Bucket> eldest) {
            return size() > capacity;
        }
    }
}
