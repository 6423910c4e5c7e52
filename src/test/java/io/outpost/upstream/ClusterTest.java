package io.outpost.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.upstream.lb.LbPolicy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class ClusterTest {

    private final RandomGenerator random = new SplittableRandom(42);

    private static List<Endpoint> endpoints(int priority, int count, int firstPort) {
        List<Endpoint> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            list.add(Endpoint.of("http://127.0.0.1:" + (firstPort + i), 1, priority));
        }
        return list;
    }

    private Cluster cluster(String policy, List<Endpoint> p0, List<Endpoint> p1, int panicThreshold) {
        List<Endpoint> all = new ArrayList<>(p0);
        all.addAll(p1);
        return Cluster.builder("web").endpoints(all).policy(policy).panicThreshold(panicThreshold)
                .random(random).build();
    }

    private static Map<Integer, Integer> picksByPriority(Cluster c, int n, RandomGenerator r) {
        Map<Integer, Integer> counts = new HashMap<>();
        for (int i = 0; i < n; i++) {
            Endpoint e = c.pick(r.nextLong());
            counts.merge(e == null ? -1 : e.priority(), 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void healthyPrimaryTakesAllTraffic() {
        Cluster c = cluster("roundRobin", endpoints(0, 4, 9000), endpoints(1, 4, 9100), 50);
        assertThat(picksByPriority(c, 1000, new SplittableRandom(1))).containsOnlyKeys(0);
    }

    @Test
    void halfHealthyPrimarySpillsThirtyPercent() {
        List<Endpoint> p0 = endpoints(0, 10, 9000);
        Cluster c = cluster("random", p0, endpoints(1, 4, 9100), 50);
        for (int i = 0; i < 5; i++) {
            p0.get(i).state().activeHealthy(false);
        }
        c.refresh();
        assertThat(c.priorityLoad().loads()).containsExactly(70, 30);
        Map<Integer, Integer> counts = picksByPriority(c, 20_000, new SplittableRandom(2));
        assertThat(counts.get(1)).isBetween(5600, 6400);
        // Unhealthy P0 endpoints get nothing.
        for (int i = 0; i < 2000; i++) {
            Endpoint e = c.pick(random.nextLong());
            assertThat(e.healthy()).isTrue();
        }
    }

    @Test
    void sameKeyStaysOnOneLevelAndEndpoint() {
        List<Endpoint> p0 = endpoints(0, 10, 9000);
        Cluster c = cluster("maglev", p0, endpoints(1, 3, 9100), 50);
        for (int i = 0; i < 5; i++) {
            p0.get(i).state().activeHealthy(false);
        }
        c.refresh();
        long session = XxHash64.hash("session-17");
        Endpoint first = c.pick(session);
        for (int i = 0; i < 100; i++) {
            assertThat(c.pick(session)).isSameAs(first);
        }
    }

    @Test
    void allUnhealthyWithPanicDisabledPicksNothing() {
        List<Endpoint> p0 = endpoints(0, 3, 9000);
        Cluster c = cluster("leastRequest", p0, List.of(), 0);
        p0.forEach(e -> e.state().ejected(true));
        c.refresh();
        assertThat(c.pick(1L)).isNull();
        assertThat(c.pick()).isNull();
    }

    @Test
    void allUnhealthyWithPanicBalancesOverAll() {
        List<Endpoint> p0 = endpoints(0, 3, 9000);
        Cluster c = cluster("roundRobin", p0, List.of(), 50);
        p0.forEach(e -> e.state().activeHealthy(false));
        c.refresh();
        List<Endpoint> seen = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            seen.add(c.pick());
        }
        assertThat(seen).containsExactlyInAnyOrderElementsOf(p0);
    }

    @Test
    void recoveryIsPickedUpOnRefresh() {
        List<Endpoint> p0 = endpoints(0, 2, 9000);
        Cluster c = cluster("roundRobin", p0, endpoints(1, 1, 9100), 0);
        p0.forEach(e -> e.state().activeHealthy(false));
        c.refresh();
        assertThat(c.pick().priority()).isEqualTo(1);
        p0.forEach(e -> e.state().activeHealthy(true));
        c.refresh();
        assertThat(c.pick().priority()).isZero();
    }

    @Test
    void reloadKeepsLiveStateOfSameEndpoints() {
        List<Endpoint> first = endpoints(0, 2, 9000);
        Cluster old = cluster("random", first, List.of(), 50);
        first.get(0).state().activeHealthy(false);
        first.get(0).state().requestStarted();
        Cluster reloaded = Cluster.builder("web")
                .endpoints(List.of(Endpoint.of("http://127.0.0.1:9000", 5, 0), Endpoint.of("http://127.0.0.1:9005")))
                .random(random).previous(old).build();
        Endpoint kept = reloaded.endpoints().get(0);
        assertThat(kept.weight()).isEqualTo(5);
        assertThat(kept.state()).isSameAs(first.get(0).state());
        assertThat(kept.healthy()).isFalse();
        assertThat(kept.state().activeRequests()).isEqualTo(1);
        assertThat(reloaded.endpoints().get(1).healthy()).isTrue();
        assertThat(reloaded.policy()).isEqualTo(LbPolicy.ROUND_ROBIN);
    }

    @Test
    void rejectsDuplicateEndpoints() {
        assertThatThrownBy(() -> Cluster.builder("x")
                .endpoints(List.of(Endpoint.of("http://a:1"), Endpoint.of("http://A:1", 2, 0))).random(random).build())
                .hasMessageContaining("http://a:1 is listed twice");
    }

    @Test
    void emptyClusterPicksNothing() {
        Cluster c = Cluster.builder("empty").random(random).build();
        assertThat(c.pick()).isNull();
    }

    @Test
    void endpointParsing() {
        Endpoint e = Endpoint.of("https://Example.COM");
        assertThat(e.id()).isEqualTo("https://example.com:443");
        assertThat(Endpoint.of("http://[::1]:8080").id()).isEqualTo("http://[::1]:8080");
        assertThat(Endpoint.of("http://h").port()).isEqualTo(80);
        assertThatThrownBy(() -> Endpoint.of("htp://x")).hasMessage("\"htp://x\" is not an http(s) URL");
        assertThatThrownBy(() -> Endpoint.of("http://x", 0, 0)).hasMessage("weight: 0 (expected: >= 1)");
    }
}
