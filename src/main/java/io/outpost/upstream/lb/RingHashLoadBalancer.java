package io.outpost.upstream.lb;

import io.outpost.upstream.Endpoint;
import io.outpost.upstream.XxHash64;
import java.nio.charset.StandardCharsets;

/**
 * Consistent hashing on a ring, sized as Envoy sizes it: each endpoint gets a share of the ring
 * in proportion to its weight, the lightest at least {@code minRingSize × its share} entries,
 * the whole ring at most {@code maxRingSize}. Entry {@code i} of an endpoint sits at
 * {@code xxHash64(id + "_" + i)}. Removing an endpoint moves only the keys it owned.
 */
final class RingHashLoadBalancer implements LoadBalancer {

    static final int DEFAULT_MIN_RING_SIZE = 1024;
    static final int DEFAULT_MAX_RING_SIZE = 8 * 1024 * 1024;

    /** Hashes with the sign bit flipped, sorted, so that a signed compare orders them unsigned. */
    private final long[] ring;
    private final Endpoint[] owners;

    private RingHashLoadBalancer(long[] ring, Endpoint[] owners) {
        this.ring = ring;
        this.owners = owners;
    }

    static RingHashLoadBalancer build(Endpoint[] endpoints, int minRingSize, int maxRingSize) {
        if (minRingSize < 1 || maxRingSize < minRingSize) {
            throw new IllegalArgumentException("ring size: min " + minRingSize + ", max " + maxRingSize
                    + " (expected: 1 <= min <= max)");
        }
        long totalWeight = 0;
        int minWeight = Integer.MAX_VALUE;
        for (Endpoint e : endpoints) {
            totalWeight += e.weight();
            minWeight = Math.min(minWeight, e.weight());
        }
        double minShare = (double) minWeight / totalWeight;
        double scale = Math.min(Math.ceil(minRingSize * minShare) / minShare, maxRingSize);
        int size = (int) Math.ceil(scale);
        long[] hashes = new long[size];
        int[] owner = new int[size];
        int count = 0;
        double target = 0;
        for (int i = 0; i < endpoints.length; i++) {
            target += scale * endpoints[i].weight() / totalWeight;
            byte[] prefix = (endpoints[i].id() + "_").getBytes(StandardCharsets.UTF_8);
            for (int k = 0; count < target && count < size; k++) {
                byte[] key = withSuffix(prefix, k);
                hashes[count] = XxHash64.hash(key) ^ Long.MIN_VALUE;
                owner[count] = i;
                count++;
            }
        }
        sort(hashes, owner, 0, count - 1);
        long[] ring = new long[count];
        Endpoint[] owners = new Endpoint[count];
        System.arraycopy(hashes, 0, ring, 0, count);
        for (int i = 0; i < count; i++) {
            owners[i] = endpoints[owner[i]];
        }
        return new RingHashLoadBalancer(ring, owners);
    }

    @Override
    public Endpoint pick(long hash) {
        long key = hash ^ Long.MIN_VALUE;
        int lo = 0;
        int hi = ring.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (ring[mid] < key) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return owners[lo == ring.length ? 0 : lo];
    }

    int size() {
        return ring.length;
    }

    private static byte[] withSuffix(byte[] prefix, int k) {
        byte[] digits = Integer.toString(k).getBytes(StandardCharsets.US_ASCII);
        byte[] key = new byte[prefix.length + digits.length];
        System.arraycopy(prefix, 0, key, 0, prefix.length);
        System.arraycopy(digits, 0, key, prefix.length, digits.length);
        return key;
    }

    /** Quicksort of {@code keys} that moves {@code values} along; avoids boxing 8M entries. */
    private static void sort(long[] keys, int[] values, int lo, int hi) {
        while (hi - lo > 16) {
            long pivot = median(keys[lo], keys[(lo + hi) >>> 1], keys[hi]);
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (keys[i] < pivot) {
                    i++;
                }
                while (keys[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    swap(keys, values, i++, j--);
                }
            }
            if (j - lo < hi - i) {
                sort(keys, values, lo, j);
                lo = i;
            } else {
                sort(keys, values, i, hi);
                hi = j;
            }
        }
        for (int i = lo + 1; i <= hi; i++) {
            for (int j = i; j > lo && keys[j - 1] > keys[j]; j--) {
                swap(keys, values, j, j - 1);
            }
        }
    }

    private static long median(long a, long b, long c) {
        return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    }

    private static void swap(long[] keys, int[] values, int i, int j) {
        long k = keys[i];
        keys[i] = keys[j];
        keys[j] = k;
        int v = values[i];
        values[i] = values[j];
        values[j] = v;
    }
}
