package io.outpost.upstream.lb;

import java.util.concurrent.atomic.AtomicLong;

/**
 * nginx's smooth weighted round robin: with weights 5, 1, 1 the order is a a b a c a a rather than
 * a a a a a b c. The order repeats every sum-of-weights picks (after dividing by their gcd), so it
 * is computed once and walked with an atomic counter, lock-free. Very large weight sums (over
 * {@value #MAX_PRECOMPUTED}) fall back to nginx's stateful form under a lock.
 */
public final class SmoothWeighted {

    static final int MAX_PRECOMPUTED = 1 << 16;

    private final int[] weights;
    private final int[] sequence;
    private final AtomicLong counter;
    private final long[] current;

    /** @param start where in the cycle to begin, so that gateways do not move in lockstep */
    public SmoothWeighted(int[] weights, long start) {
        if (weights.length == 0) {
            throw new IllegalArgumentException("weights: empty (expected: at least one)");
        }
        int g = 0;
        long total = 0;
        for (int w : weights) {
            if (w < 1) {
                throw new IllegalArgumentException("weight: " + w + " (expected: >= 1)");
            }
            g = gcd(g, w);
            total += w;
        }
        this.weights = new int[weights.length];
        for (int i = 0; i < weights.length; i++) {
            this.weights[i] = weights[i] / g;
        }
        total /= g;
        this.counter = new AtomicLong(Math.floorMod(start, Math.max(total, 1)));
        if (total <= MAX_PRECOMPUTED) {
            this.sequence = new int[(int) total];
            long[] cur = new long[weights.length];
            for (int s = 0; s < total; s++) {
                sequence[s] = step(this.weights, cur, total);
            }
            this.current = null;
        } else {
            this.sequence = null;
            this.current = new long[weights.length];
        }
    }

    /** The index of the next choice. */
    public int next() {
        if (sequence != null) {
            long n = counter.getAndIncrement();
            return sequence[(int) Long.remainderUnsigned(n, sequence.length)];
        }
        synchronized (current) {
            long total = 0;
            for (int w : weights) {
                total += w;
            }
            return step(weights, current, total);
        }
    }

    private static int step(int[] weights, long[] current, long total) {
        int best = 0;
        for (int i = 0; i < weights.length; i++) {
            current[i] += weights[i];
            if (current[i] > current[best]) {
                best = i;
            }
        }
        current[best] -= total;
        return best;
    }

    private static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }
}
