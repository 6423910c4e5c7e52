package io.outpost.config;

import java.time.Duration;
import java.util.Objects;

/** Passive health: ejects an endpoint after consecutive failures seen on real traffic (Envoy's outlier detection). */
public record OutlierDetectionConfig(
        int consecutive5xx,
        int consecutiveGatewayFailure,
        Duration interval,
        Duration baseEjectionTime,
        int maxEjectionPercent) {

    public static final OutlierDetectionConfig DEFAULT =
            new OutlierDetectionConfig(5, 5, Duration.ofSeconds(10), Duration.ofSeconds(30), 10);

    public OutlierDetectionConfig {
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(baseEjectionTime, "baseEjectionTime");
    }
}
