package io.outpost.upstream.health;

import static io.outpost.upstream.health.HealthCheckState.Transition.CHANGED;
import static io.outpost.upstream.health.HealthCheckState.Transition.PENDING;
import static io.outpost.upstream.health.HealthCheckState.Transition.UNCHANGED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HealthCheckStateTest {

    @Test
    void needsConsecutiveResultsToFlip() {
        HealthCheckState s = new HealthCheckState(3, 2, true, 0);
        assertThat(s.onFailure(1, "status 500")).isEqualTo(PENDING);
        assertThat(s.onFailure(2, "timeout")).isEqualTo(PENDING);
        assertThat(s.onSuccess(3)).isEqualTo(UNCHANGED); // resets the failure streak
        assertThat(s.onFailure(4, "a")).isEqualTo(PENDING);
        assertThat(s.onFailure(5, "b")).isEqualTo(PENDING);
        assertThat(s.healthy()).isTrue();
        assertThat(s.onFailure(6, "c")).isEqualTo(CHANGED);
        assertThat(s.healthy()).isFalse();
        assertThat(s.lastTransitionNanos()).isEqualTo(6);
        assertThat(s.lastError()).isEqualTo("c");
        assertThat(s.onFailure(7, "d")).isEqualTo(UNCHANGED);

        assertThat(s.onSuccess(8)).isEqualTo(PENDING);
        assertThat(s.onFailure(9, "e")).isEqualTo(UNCHANGED); // resets the success streak
        assertThat(s.onSuccess(10)).isEqualTo(PENDING);
        assertThat(s.onSuccess(11)).isEqualTo(CHANGED);
        assertThat(s.healthy()).isTrue();
        assertThat(s.lastTransitionNanos()).isEqualTo(11);
        assertThat(s.onSuccess(12)).isEqualTo(UNCHANGED);
    }

    @Test
    void theLastErrorExplainsTheVerdictAndGoesWhenTheEndpointIsHealthyAgain() {
        HealthCheckState s = new HealthCheckState(2, 2, true, 0);
        assertThat(s.onFailure(1, "timeout")).isEqualTo(PENDING);
        assertThat(s.lastError()).isEqualTo("timeout");   // healthy, but its latest check failed
        assertThat(s.onSuccess(2)).isEqualTo(UNCHANGED);
        assertThat(s.lastError()).isNull();

        s.onFailure(3, "status 503");
        assertThat(s.onFailure(4, "status 500")).isEqualTo(CHANGED);
        assertThat(s.onSuccess(5)).isEqualTo(PENDING);
        assertThat(s.lastError()).isEqualTo("status 500");   // still unhealthy: the error still explains why
        assertThat(s.onSuccess(6)).isEqualTo(CHANGED);
        assertThat(s.healthy()).isTrue();
        assertThat(s.lastError()).isNull();
        assertThat(s).hasToString("healthy");
    }

    @Test
    void thresholdOfOneFlipsAtOnce() {
        HealthCheckState s = new HealthCheckState(1, 1, false, 0);
        assertThat(s.healthy()).isFalse();
        assertThat(s.onSuccess(1)).isEqualTo(CHANGED);
        assertThat(s.onFailure(2, "x")).isEqualTo(CHANGED);
    }

    @Test
    void rejectsZeroThresholds() {
        assertThatThrownBy(() -> new HealthCheckState(0, 1, true, 0))
                .hasMessage("unhealthyThreshold: 0 (expected: >= 1)");
    }
}
