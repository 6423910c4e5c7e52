package io.outpost.upstream.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.upstream.Endpoint;
import io.outpost.upstream.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class OutlierDetectorTest {

    private final FakeTicker ticker = new FakeTicker();
    private final AtomicInteger changes = new AtomicInteger();

    private static List<Endpoint> endpoints(int n) {
        List<Endpoint> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(Endpoint.of("http://10.1.0." + (i + 1) + ":80"));
        }
        return list;
    }

    private OutlierDetector detector(List<Endpoint> eps) {
        return new OutlierDetector(OutlierConfig.defaults(), eps, ticker, changes::incrementAndGet);
    }

    private static void respond(OutlierDetector d, Endpoint e, int status, int times) {
        for (int i = 0; i < times; i++) {
            d.onResponse(e, status);
        }
    }

    @Test
    void fiveConsecutive5xxEject() {
        List<Endpoint> eps = endpoints(10);
        OutlierDetector d = detector(eps);
        Endpoint e = eps.get(0);
        respond(d, e, 500, 4);
        d.onResponse(e, 200); // breaks the streak
        respond(d, e, 500, 4);
        assertThat(e.state().ejected()).isFalse();
        d.onResponse(e, 500);
        assertThat(e.state().ejected()).isTrue();
        assertThat(e.healthy()).isFalse();
        assertThat(changes).hasValue(1);
    }

    @Test
    void gatewayFailuresAndConnectErrorsEject() {
        List<Endpoint> eps = endpoints(10);
        OutlierDetector d = detector(eps);
        Endpoint e = eps.get(1);
        d.onConnectFailure(e);
        d.onResponse(e, 502);
        d.onResponse(e, 504);
        d.onConnectFailure(e);
        assertThat(d.ejected(e)).isFalse();
        d.onResponse(e, 503);
        assertThat(d.ejected(e)).isTrue();
    }

    @Test
    void ejectionTimeGrowsWithEachEjectionAndIsCapped() {
        List<Endpoint> eps = endpoints(10);
        OutlierDetector d = detector(eps);
        Endpoint e = eps.get(0);
        for (int round = 1; round <= 12; round++) {
            respond(d, e, 500, 5);
            assertThat(d.ejected(e)).as("round %d", round).isTrue();
            long expected = Math.min(30L * round, 300L);
            ticker.advance(Duration.ofSeconds(expected).minusMillis(1));
            d.sweep();
            assertThat(d.ejected(e)).as("round %d still out", round).isTrue();
            ticker.advance(Duration.ofMillis(1));
            d.sweep();
            assertThat(d.ejected(e)).as("round %d back", round).isFalse();
            assertThat(e.state().ejected()).isFalse();
        }
        assertThat(d.multiplier(e)).isEqualTo(12);
    }

    @Test
    void multiplierIsForgivenOneStepPerQuietSweep() {
        List<Endpoint> eps = endpoints(10);
        OutlierDetector d = detector(eps);
        Endpoint e = eps.get(0);
        respond(d, e, 500, 5);
        respond(d, e, 500, 0);
        ticker.advance(Duration.ofSeconds(30));
        d.sweep();
        assertThat(d.multiplier(e)).isEqualTo(1);
        d.sweep();
        assertThat(d.multiplier(e)).isZero();
    }

    @Test
    void atMostTenPercentButAlwaysOne() {
        List<Endpoint> few = endpoints(3);
        OutlierDetector small = detector(few);
        respond(small, few.get(0), 500, 5);
        respond(small, few.get(1), 500, 5);
        assertThat(small.ejected(few.get(0))).isTrue(); // 33% > 10%, but one may always go
        assertThat(small.ejected(few.get(1))).isFalse();
        assertThat(small.ejectedCount()).isEqualTo(1);

        List<Endpoint> many = endpoints(30);
        OutlierDetector big = detector(many);
        for (Endpoint e : many) {
            respond(big, e, 503, 5);
        }
        assertThat(big.ejectedCount()).isEqualTo(3);
    }

    @Test
    void successResetsCountersAndUnknownEndpointsAreIgnored() {
        List<Endpoint> eps = endpoints(10);
        OutlierDetector d = detector(eps);
        d.onResponse(Endpoint.of("http://elsewhere:1"), 500);
        for (int i = 0; i < 20; i++) {
            d.onResponse(eps.get(2), i % 4 == 3 ? 404 : 500);
        }
        assertThat(d.ejectedCount()).isZero();
        assertThat(changes).hasValue(0);
    }
}
