package io.outpost.upstream.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.outpost.upstream.Endpoint;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LoadBalancerTest {

    private static List<Endpoint> weighted(int... weights) {
        List<Endpoint> list = new ArrayList<>();
        for (int i = 0; i < weights.length; i++) {
            list.add(Endpoint.of("http://10.0.0." + (i + 1) + ":8080", weights[i], 0));
        }
        return list;
    }

    @Test
    void roundRobinIsSmoothAsNginx() {
        List<Endpoint> eps = weighted(5, 1, 1);
        LoadBalancer lb = LbPolicy.ROUND_ROBIN.create(eps, new FixedStart(0));
        StringBuilder order = new StringBuilder();
        for (int i = 0; i < 14; i++) {
            order.append((char) ('a' + eps.indexOf(lb.pick(0))));
        }
        assertThat(order.toString()).isEqualTo("aabacaa" + "aabacaa");
    }

    @Test
    void smoothWeightedFallsBackForHugeWeightSums() {
        SmoothWeighted big = new SmoothWeighted(new int[] {SmoothWeighted.MAX_PRECOMPUTED, 1}, 0);
        int second = 0;
        for (int i = 0; i <= SmoothWeighted.MAX_PRECOMPUTED; i++) {
            second += big.next();
        }
        assertThat(second).isEqualTo(1);
        assertThatThrownBy(() -> new SmoothWeighted(new int[] {1, 0}, 0)).hasMessageContaining("weight: 0");
    }

    /** Each policy's share per endpoint matches the weights (1, 2, 3, 4) within a tolerance. */
    @ParameterizedTest
    @EnumSource(LbPolicy.class)
    void distributionFollowsWeights(LbPolicy policy) {
        List<Endpoint> eps = weighted(1, 2, 3, 4);
        SplittableRandom random = new SplittableRandom(7);
        LoadBalancer lb = policy.create(eps, random);
        int n = 100_000;
        Map<Endpoint, Integer> counts = new HashMap<>();
        Deque<Endpoint> inFlight = new ArrayDeque<>();
        for (int i = 0; i < n; i++) {
            Endpoint e = lb.pick(random.nextLong());
            counts.merge(e, 1, Integer::sum);
            if (policy == LbPolicy.LEAST_REQUEST) {
                // Requests of equal latency: 400 in flight, the oldest finishes as a new one starts.
                e.state().requestStarted();
                inFlight.add(e);
                if (inFlight.size() > 400) {
                    inFlight.poll().state().requestFinished();
                }
            }
        }
        double tolerance = policy.usesHash() ? 0.03 : 0.01;
        for (int i = 0; i < eps.size(); i++) {
            double expected = (i + 1) / 10.0;
            assertThat(counts.get(eps.get(i)) / (double) n).as("%s endpoint %d", policy, i)
                    .isCloseTo(expected, within(tolerance));
        }
    }

    @Test
    void leastRequestAvoidsTheBusyEndpoint() {
        List<Endpoint> eps = weighted(1, 1, 1, 1);
        for (int i = 0; i < 10; i++) {
            eps.get(0).state().requestStarted();
        }
        LoadBalancer lb = LbPolicy.LEAST_REQUEST.create(eps, new SplittableRandom(5));
        int busy = 0;
        for (int i = 0; i < 10_000; i++) {
            busy += lb.pick(0) == eps.get(0) ? 1 : 0;
        }
        // Only chosen when both draws are the busy one: 1/16 of the time.
        assertThat(busy).isBetween(500, 750);
    }

    @Test
    void singleAndEmpty() {
        Endpoint only = Endpoint.of("http://a:1");
        for (LbPolicy p : LbPolicy.values()) {
            assertThat(p.create(List.of(only), new SplittableRandom(1)).pick(123)).isSameAs(only);
            assertThat(p.create(List.of(), new SplittableRandom(1)).pick(123)).isNull();
        }
    }

    @Test
    void policyNames() {
        assertThat(LbPolicy.fromName("ringHash")).isEqualTo(LbPolicy.RING_HASH);
        assertThat(LbPolicy.fromName("maglev").usesHash()).isTrue();
        assertThat(LbPolicy.fromName("random").usesHash()).isFalse();
        assertThatThrownBy(() -> LbPolicy.fromName("rr"))
                .hasMessage("policy: \"rr\" (expected: one of [roundRobin, leastRequest, random, ringHash, maglev])");
    }

    @Test
    void ringSizeFollowsEnvoyBounds() {
        Endpoint[] equal = weighted(1, 1, 1, 1, 1, 1, 1, 1, 1, 1).toArray(new Endpoint[0]);
        assertThat(RingHashLoadBalancer.build(equal, 1024, 8 << 20).size()).isEqualTo(10 * 1024);
        Endpoint[] threeToOne = weighted(1, 3).toArray(new Endpoint[0]);
        assertThat(RingHashLoadBalancer.build(threeToOne, 1024, 8 << 20).size()).isEqualTo(4 * 1024);
        Endpoint[] skewed = weighted(1, 1_000_000).toArray(new Endpoint[0]);
        assertThat(RingHashLoadBalancer.build(skewed, 1024, 4096).size()).isBetween(4000, 4096);
        assertThatThrownBy(() -> MaglevLoadBalancer.build(equal, 65536)).hasMessageContaining("expected: a prime");
    }

    /** A generator whose first long is fixed, so round robin starts at a known place. */
    private static final class FixedStart implements java.util.random.RandomGenerator {
        private final long value;

        FixedStart(long value) {
            this.value = value;
        }

        @Override
        public long nextLong() {
            return value;
        }
    }
}
