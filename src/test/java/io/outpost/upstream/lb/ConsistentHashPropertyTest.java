package io.outpost.upstream.lb;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.upstream.Endpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Removing one of N endpoints moves about 1/N of the keys; adding it back restores them. */
class ConsistentHashPropertyTest {

    private static final int KEYS = 20_000;

    @ParameterizedTest
    @CsvSource({"RING_HASH,5", "RING_HASH,10", "RING_HASH,40", "MAGLEV,5", "MAGLEV,10", "MAGLEV,40"})
    void removingOneMovesAboutOneNth(LbPolicy policy, int n) {
        SplittableRandom random = new SplittableRandom(n);
        List<Endpoint> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            all.add(Endpoint.of("http://backend-" + i + ".internal:8080"));
        }
        long[] keys = random.longs(KEYS).toArray();
        Endpoint[] before = picks(policy.create(all, random), keys);
        for (int victim = 0; victim < n; victim += Math.max(1, n / 2)) {
            List<Endpoint> fewer = new ArrayList<>(all);
            Endpoint removed = fewer.remove(victim);
            Endpoint[] after = picks(policy.create(fewer, random), keys);
            int moved = 0;
            int owned = 0;
            for (int k = 0; k < KEYS; k++) {
                if (before[k] == removed) {
                    owned++;
                    assertThat(after[k]).isNotSameAs(removed);
                }
                if (before[k] != after[k]) {
                    moved++;
                }
            }
            double expected = 1.0 / n;
            double fraction = moved / (double) KEYS;
            // Keys of the removed endpoint must move; hardly any others may.
            assertThat(moved).as("%s n=%d", policy, n).isGreaterThanOrEqualTo(owned);
            assertThat(fraction).as("%s n=%d moved", policy, n).isBetween(expected * 0.5, expected * 1.5);
            if (policy == LbPolicy.RING_HASH) {
                assertThat(moved).isEqualTo(owned);
            } else {
                assertThat(moved - owned).isLessThan(KEYS / 100);
            }
            Endpoint[] restored = picks(policy.create(all, random), keys);
            assertThat(restored).containsExactly(before);
        }
    }

    private static Endpoint[] picks(LoadBalancer lb, long[] keys) {
        Endpoint[] out = new Endpoint[keys.length];
        for (int i = 0; i < keys.length; i++) {
            out[i] = lb.pick(keys[i]);
        }
        return out;
    }
}
