package io.outpost.upstream.resilience;

/**
 * Counts calls, failures and slow calls over the last {@code window} nanoseconds in fixed
 * buckets; a bucket is reused once it falls out of the window. Not thread-safe: its owner locks.
 */
final class RollingWindow {

    private final long bucketNanos;
    private final long[] epoch;
    private final long[] calls;
    private final long[] failures;
    private final long[] slow;

    RollingWindow(long windowNanos, int buckets) {
        this.bucketNanos = Math.max(1, windowNanos / buckets);
        this.epoch = new long[buckets];
        this.calls = new long[buckets];
        this.failures = new long[buckets];
        this.slow = new long[buckets];
        clear();
    }

    void record(long now, boolean failure, boolean slowCall) {
        long e = Math.floorDiv(now, bucketNanos);
        int i = (int) Math.floorMod(e, (long) epoch.length);
        if (epoch[i] != e) {
            epoch[i] = e;
            calls[i] = 0;
            failures[i] = 0;
            slow[i] = 0;
        }
        calls[i]++;
        if (failure) {
            failures[i]++;
        }
        if (slowCall) {
            slow[i]++;
        }
    }

    /** {calls, failures, slow} within the window ending at {@code now}. */
    long[] counts(long now) {
        long current = Math.floorDiv(now, bucketNanos);
        long[] sum = new long[3];
        for (int i = 0; i < epoch.length; i++) {
            if (epoch[i] != Long.MIN_VALUE && current - epoch[i] < epoch.length) {
                sum[0] += calls[i];
                sum[1] += failures[i];
                sum[2] += slow[i];
            }
        }
        return sum;
    }

    void clear() {
        java.util.Arrays.fill(epoch, Long.MIN_VALUE);
    }
}
