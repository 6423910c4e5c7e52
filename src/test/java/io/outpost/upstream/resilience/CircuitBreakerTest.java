package io.outpost.upstream.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.upstream.FakeTicker;
import io.outpost.upstream.resilience.CircuitBreaker.State;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {

    private static final long FAST = Duration.ofMillis(5).toNanos();
    private static final long SLOW = Duration.ofMillis(500).toNanos();
    private final FakeTicker ticker = new FakeTicker();

    private CircuitBreaker.Builder builder() {
        return CircuitBreaker.builder(ticker, new SplittableRandom(11))
                .errorRatio(0.5)
                .minRequests(10)
                .window(Duration.ofSeconds(10), 10)
                .fallbackDuration(Duration.ofSeconds(10))
                .recoveryDuration(Duration.ofSeconds(10));
    }

    private static void calls(CircuitBreaker b, int n, long latency, boolean failure) {
        for (int i = 0; i < n; i++) {
            b.onResult(latency, failure);
        }
    }

    @Test
    void tripsOnErrorRatioAndRecovers() {
        CircuitBreaker b = builder().build();
        calls(b, 5, FAST, false);
        calls(b, 4, FAST, true);
        assertThat(b.state()).isEqualTo(State.CLOSED); // 9 calls: below minRequests
        calls(b, 1, FAST, true);
        assertThat(b.state()).isEqualTo(State.CLOSED); // 5/10 is not above 0.5
        calls(b, 1, FAST, true);
        assertThat(b.state()).isEqualTo(State.OPEN); // 6/11
        assertThat(b.tryAcquire()).isFalse();

        ticker.advance(Duration.ofSeconds(10).minusNanos(1));
        assertThat(b.tryAcquire()).isFalse();
        ticker.advance(Duration.ofNanos(1));
        assertThat(b.state()).isEqualTo(State.HALF_OPEN);

        ticker.advance(Duration.ofSeconds(10));
        assertThat(b.state()).isEqualTo(State.CLOSED);
        assertThat(b.tryAcquire()).isTrue();
    }

    @Test
    void halfOpenRampsTrafficUpLinearly() {
        CircuitBreaker b = builder().build();
        calls(b, 20, FAST, true);
        ticker.advance(Duration.ofSeconds(10)); // half open from here
        assertThat(b.state()).isEqualTo(State.HALF_OPEN);
        ticker.advance(Duration.ofMillis(2500));
        assertThat(allowedOutOf(b, 10_000)).isBetween(2300, 2700);
        ticker.advance(Duration.ofMillis(5000));
        assertThat(allowedOutOf(b, 10_000)).isBetween(7300, 7700);
    }

    @Test
    void failuresWhileHalfOpenTripAgain() {
        CircuitBreaker b = builder().build();
        calls(b, 20, FAST, true);
        ticker.advance(Duration.ofSeconds(11));
        assertThat(b.state()).isEqualTo(State.HALF_OPEN);
        calls(b, 10, FAST, true);
        assertThat(b.state()).isEqualTo(State.OPEN);
        ticker.advance(Duration.ofSeconds(9));
        assertThat(b.state()).isEqualTo(State.OPEN);
    }

    @Test
    void tripsOnLatency() {
        CircuitBreaker b = builder().errorRatio(1.0).latencyThreshold(Duration.ofMillis(100), 0.5).build();
        calls(b, 10, FAST, false);
        calls(b, 10, SLOW, false);
        assertThat(b.state()).isEqualTo(State.CLOSED); // exactly half slow: median not above
        calls(b, 1, SLOW, false);
        assertThat(b.state()).isEqualTo(State.OPEN);
    }

    @Test
    void oldCallsLeaveTheWindow() {
        CircuitBreaker b = builder().build();
        calls(b, 9, FAST, true);
        ticker.advance(Duration.ofSeconds(11));
        calls(b, 9, FAST, false);
        calls(b, 1, FAST, true);
        assertThat(b.state()).isEqualTo(State.CLOSED); // 1/10 in the window, the 9 old ones expired
    }

    private static int allowedOutOf(CircuitBreaker b, int n) {
        int allowed = 0;
        for (int i = 0; i < n; i++) {
            allowed += b.tryAcquire() ? 1 : 0;
        }
        return allowed;
    }

    @Test
    void resultsRecordedAtOneInstantStillTrip() {
        // Results of a burst often land on the same clock reading; the last one must still count.
        CircuitBreaker b = builder().minRequests(3).build();
        calls(b, 3, FAST, true);
        assertThat(b.state()).isEqualTo(State.OPEN);
    }
}
