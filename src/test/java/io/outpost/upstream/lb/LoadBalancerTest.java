package io.outpost.upstream.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.outpost.upstream.Endpoint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

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

    /**
     * Each policy's share per endpoint matches the weights (1, 2, 3, 4) within a tolerance, with no
     * requests in flight (under load, {@code leastRequest} follows its own formula: below).
     */
    @ParameterizedTest
    @EnumSource(LbPolicy.class)
    void distributionFollowsWeights(LbPolicy policy) {
        List<Endpoint> eps = weighted(1, 2, 3, 4);
        SplittableRandom random = new SplittableRandom(7);
        LoadBalancer lb = policy.create(eps, random);
        int n = 100_000;
        Map<Endpoint, Integer> counts = new HashMap<>();
        for (int i = 0; i < n; i++) {
            counts.merge(lb.pick(random.nextLong()), 1, Integer::sum);
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

    /** Picks {@code n} times and returns each endpoint's share, in the order of {@code eps}. */
    private static double[] shares(LoadBalancer lb, List<Endpoint> eps, int n) {
        int[] counts = new int[eps.size()];
        for (int i = 0; i < n; i++) {
            counts[eps.indexOf(lb.pick(0))]++;
        }
        double[] shares = new double[counts.length];
        for (int i = 0; i < counts.length; i++) {
            shares[i] = counts[i] / (double) n;
        }
        return shares;
    }

    /**
     * Five standard errors of a share {@code p} estimated from {@code n} independent picks: a seeded
     * run that misses by more is a wrong distribution, not bad luck (about 1 in 1.7 million).
     */
    private static double tolerance(double p, int n) {
        return 5 * Math.sqrt(p * (1 - p) / n);
    }

    /** Envoy's shares when weights differ: weight / (active + 1), normalised. */
    private static double[] envoyShares(int[] weights, int[] active) {
        double[] effective = new double[weights.length];
        double total = 0;
        for (int i = 0; i < weights.length; i++) {
            effective[i] = weights[i] / (active[i] + 1.0);
            total += effective[i];
        }
        for (int i = 0; i < weights.length; i++) {
            effective[i] /= total;
        }
        return effective;
    }

    /** Endpoints of {@code weights} with {@code active} requests in flight on each. */
    private static List<Endpoint> loaded(int[] weights, int[] active) {
        List<Endpoint> eps = weighted(weights);
        for (int i = 0; i < active.length; i++) {
            for (int k = 0; k < active[i]; k++) {
                eps.get(i).state().requestStarted();
            }
        }
        return eps;
    }

    private static void assertLeastRequestShares(int[] weights, int[] active, double[] expected, long seed) {
        int n = 100_000;
        List<Endpoint> eps = loaded(weights, active);
        double[] actual = shares(LbPolicy.LEAST_REQUEST.create(eps, new SplittableRandom(seed)), eps, n);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as("weights %s, active %s, seed %d: endpoint %d", Arrays.toString(weights),
                    Arrays.toString(active), seed, i).isCloseTo(expected[i], within(tolerance(expected[i], n)));
        }
    }

    @Test
    void leastRequestWithWeightsOneToThreeAndNothingInFlightSharesOneToThree() {
        assertLeastRequestShares(new int[] {1, 3}, new int[] {0, 0}, new double[] {0.25, 0.75}, 11);
    }

    /** Envoy's weight / (active + 1): 1 / 1 against 3 / 6, so the lighter endpoint now gets two thirds. */
    @Test
    void leastRequestWithUnequalWeightsShiftsAwayFromRequestsInFlight() {
        assertLeastRequestShares(new int[] {1, 3}, new int[] {0, 5}, new double[] {2 / 3.0, 1 / 3.0}, 12);
        // As many in flight on each: the weights alone again.
        assertLeastRequestShares(new int[] {1, 3}, new int[] {4, 4}, new double[] {0.25, 0.75}, 13);
    }

    /** The same property over generated cases: 2 to 6 endpoints, weights 1 to 5 not all equal, 0 to 9 in flight. */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6})
    void leastRequestWithUnequalWeightsFollowsEnvoysFormula(long seed) {
        SplittableRandom cases = new SplittableRandom(seed);
        int size = cases.nextInt(2, 7);
        int[] weights = new int[size];
        int[] active = new int[size];
        for (int i = 0; i < size; i++) {
            weights[i] = cases.nextInt(1, 6);
            active[i] = cases.nextInt(10);
        }
        if (Arrays.stream(weights).allMatch(w -> w == weights[0])) {
            weights[0] = weights[0] % 5 + 1;
        }
        assertLeastRequestShares(weights, active, envoyShares(weights, active), seed);
    }

    /**
     * Equal weights (other than 1) are power of two choices, not the formula: the busy endpoint is
     * taken only when both draws are it, a quarter of the time, where weight / (active + 1) would
     * give it a third.
     */
    @Test
    void leastRequestWithEqualWeightsIsPowerOfTwoChoices() {
        assertLeastRequestShares(new int[] {2, 2}, new int[] {0, 1}, new double[] {0.75, 0.25}, 14);
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
