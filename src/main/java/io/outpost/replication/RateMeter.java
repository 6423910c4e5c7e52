package io.outpost.replication;

import io.outpost.upstream.Ticker;

/** Events per second over the last ten whole seconds (the replay rate shown by the admin API). */
final class RateMeter {

    private static final int SECONDS = 10;
    private static final long SECOND = 1_000_000_000L;

    private final Ticker ticker;
    private final long[] buckets = new long[SECONDS];
    private final long[] bucketSecond = new long[SECONDS];

    RateMeter(Ticker ticker) {
        this.ticker = ticker;
    }

    synchronized void record() {
        long second = Math.floorDiv(ticker.nanos(), SECOND);
        int i = (int) Math.floorMod(second, (long) SECONDS);
        if (bucketSecond[i] != second) {
            bucketSecond[i] = second;
            buckets[i] = 0;
        }
        buckets[i]++;
    }

    /** The mean rate over the ten seconds before the current one. */
    synchronized double perSecond() {
        long now = Math.floorDiv(ticker.nanos(), SECOND);
        long sum = 0;
        for (int i = 0; i < SECONDS; i++) {
            if (bucketSecond[i] < now && bucketSecond[i] >= now - SECONDS) {
                sum += buckets[i];
            }
        }
        return sum / (double) SECONDS;
    }
}
