package io.outpost.upstream.lb;

import io.outpost.upstream.Endpoint;
import java.util.Arrays;
import java.util.random.RandomGenerator;

/** Draws an index with probability proportional to its weight: uniform, or a binary search. */
final class WeightedIndex {

    private final long[] cumulative;
    private final boolean uniform;

    WeightedIndex(Endpoint[] endpoints) {
        cumulative = new long[endpoints.length];
        long sum = 0;
        boolean same = true;
        for (int i = 0; i < endpoints.length; i++) {
            sum += endpoints[i].weight();
            cumulative[i] = sum;
            same &= endpoints[i].weight() == endpoints[0].weight();
        }
        uniform = same;
    }

    int draw(RandomGenerator random) {
        if (uniform) {
            return random.nextInt(cumulative.length);
        }
        long r = random.nextLong(cumulative[cumulative.length - 1]);
        int i = Arrays.binarySearch(cumulative, r + 1);
        return i >= 0 ? i : -i - 1;
    }

    boolean uniform() {
        return uniform;
    }
}
