package io.outpost.upstream.lb;

import io.outpost.upstream.Endpoint;
import io.outpost.upstream.XxHash64;
import java.nio.charset.StandardCharsets;

/**
 * Consistent hashing on a ring. Entry {@code i} of an endpoint sits at
 * {@code xxHash64(id + "_" + i)}; a key goes to the first entry at or after its hash.
 *
 * <p>Sizing keeps Envoy's bounds (at least {@code minRingSize} entries, at most
 * {@code maxRingSize}) but not Envoy's formula: Envoy gives every endpoint
 * {@code ceil(minRingSize × lightest share)} entries scaled by weight, so every endpoint's count
 * changes when one is added or removed and far more than 1/N of the keys move (30% rather than
 * 20% for 5 → 4 endpoints). Here an endpoint gets {@code minRingSize × weight / lightest weight}
 * entries, a count that does not depend on the other endpoints, so removing one moves exactly
 * its own keys; shares are also far more even. Only when the ring would pass
 * {@code maxRingSize} are all counts scaled down together.
 *
 * <p>A pick looks up the top bits of the hash in a bucket index, then binary-searches the few
 * entries of that bucket, so it costs the same for 1,000 entries as for 8 million.
 */
final class RingHashLoadBalancer implements LoadBalancer {

    static final int DEFAULT_MIN_RING_SIZE = 1024;
    static final int DEFAULT_MAX_RING_SIZE = 8 * 1024 * 1024;

    /** Hashes with the sign bit flipped, sorted, so that a signed compare orders them unsigned. */
    private final long[] ring;
    private final Endpoint[] owners;
    /** {@code index[b]}: the first ring position whose top {@code bits} bits are >= b. */
    private final int[] index;
    private final int shift;

    private RingHashLoadBalancer(long[] ring, Endpoint[] owners) {
        this.ring = ring;
        this.owners = owners;
        int bits = Math.max(1, Math.min(16, 31 - Integer.numberOfLeadingZeros(ring.length)));
        this.shift = 64 - bits;
        this.index = new int[(1 << bits) + 1];
        int pos = 0;
        for (int b = 0; b <= 1 << bits; b++) {
            while (pos < ring.length && (int) ((ring[pos] ^ Long.MIN_VALUE) >>> shift) < b) {
                pos++;
            }
            index[b] = pos;
        }
    }

    static RingHashLoadBalancer build(Endpoint[] endpoints, int minRingSize, int maxRingSize) {
        if (minRingSize < 1 || maxRingSize < minRingSize) {
            throw new IllegalArgumentException("ring size: min " + minRingSize + ", max " + maxRingSize
                    + " (expected: 1 <= min <= max)");
        }
        int minWeight = Integer.MAX_VALUE;
        for (Endpoint e : endpoints) {
            minWeight = Math.min(minWeight, e.weight());
        }
        double perWeight = (double) minRingSize / minWeight;
        double wanted = 0;
        for (Endpoint e : endpoints) {
            wanted += Math.ceil(perWeight * e.weight());
        }
        if (wanted > maxRingSize) {
            perWeight *= maxRingSize / wanted;
        }
        int[] counts = new int[endpoints.length];
        int size = 0;
        for (int i = 0; i < endpoints.length; i++) {
            counts[i] = (int) Math.max(1, Math.min(maxRingSize - size, Math.ceil(perWeight * endpoints[i].weight())));
            size += counts[i];
        }
        long[] hashes = new long[size];
        int[] owner = new int[size];
        int count = 0;
        for (int i = 0; i < endpoints.length; i++) {
            byte[] prefix = (endpoints[i].id() + "_").getBytes(StandardCharsets.UTF_8);
            for (int k = 0; k < counts[i]; k++) {
                hashes[count] = XxHash64.hash(withSuffix(prefix, k)) ^ Long.MIN_VALUE;
                owner[count] = i;
                count++;
            }
        }
        sort(hashes, owner, 0, count - 1);
        Endpoint[] owners = new Endpoint[count];
        for (int i = 0; i < count; i++) {
            owners[i] = endpoints[owner[i]];
        }
        return new RingHashLoadBalancer(hashes, owners);
    }

    @Override
    public Endpoint pick(long hash) {
        long key = hash ^ Long.MIN_VALUE;
        int b = (int) (hash >>> shift);
        int lo = index[b];
        int hi = index[b + 1];
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
