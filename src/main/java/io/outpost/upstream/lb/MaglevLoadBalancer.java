package io.outpost.upstream.lb;

import io.outpost.upstream.Endpoint;
import io.outpost.upstream.XxHash64;
import java.nio.charset.StandardCharsets;

/**
 * Maglev consistent hashing (Eisenbud et al., 2016) with Envoy's weighting: a prime-sized lookup
 * table filled by each endpoint's own permutation, an endpoint of weight w taking w/maxWeight
 * turns per round. A pick is one modulo and one array read; removing an endpoint moves about
 * 1/N of the keys.
 */
final class MaglevLoadBalancer implements LoadBalancer {

    static final int DEFAULT_TABLE_SIZE = 65537;

    private final Endpoint[] table;

    private MaglevLoadBalancer(Endpoint[] table) {
        this.table = table;
    }

    static MaglevLoadBalancer build(Endpoint[] endpoints, int tableSize) {
        if (tableSize < endpoints.length || !isPrime(tableSize)) {
            throw new IllegalArgumentException("tableSize: " + tableSize + " (expected: a prime >= "
                    + endpoints.length + ")");
        }
        int n = endpoints.length;
        int[] position = new int[n];
        int[] skip = new int[n];
        double[] share = new double[n];
        double[] target = new double[n];
        long[] placed = new long[n];
        int maxWeight = 0;
        for (Endpoint e : endpoints) {
            maxWeight = Math.max(maxWeight, e.weight());
        }
        for (int i = 0; i < n; i++) {
            byte[] id = endpoints[i].id().getBytes(StandardCharsets.UTF_8);
            position[i] = (int) Long.remainderUnsigned(XxHash64.hash(id, 0), tableSize);
            skip[i] = (int) Long.remainderUnsigned(XxHash64.hash(id, 1), tableSize - 1) + 1;
            share[i] = (double) endpoints[i].weight() / maxWeight;
        }
        Endpoint[] table = new Endpoint[tableSize];
        int filled = 0;
        while (filled < tableSize) {
            for (int i = 0; i < n && filled < tableSize; i++) {
                target[i] += share[i];
                if (target[i] < placed[i] + 1) {
                    continue;
                }
                int c = position[i];
                while (table[c] != null) {
                    c = next(c, skip[i], tableSize);
                }
                table[c] = endpoints[i];
                position[i] = next(c, skip[i], tableSize);
                placed[i]++;
                filled++;
            }
        }
        return new MaglevLoadBalancer(table);
    }

    @Override
    public Endpoint pick(long hash) {
        return table[(int) Long.remainderUnsigned(hash, table.length)];
    }

    private static int next(int c, int skip, int size) {
        int n = c + skip;
        return n >= size ? n - size : n;
    }

    private static boolean isPrime(int n) {
        if (n < 2) {
            return false;
        }
        for (int d = 2; (long) d * d <= n; d++) {
            if (n % d == 0) {
                return false;
            }
        }
        return true;
    }
}
