package io.outpost.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Active health checking: GET {@code path} every {@code interval} (plus up to {@code jitter}), with
 * thresholds of consecutive results before an endpoint changes state, as in Envoy.
 */
public record HealthCheckConfig(
        String path,
        Duration interval,
        Duration timeout,
        Duration jitter,
        StatusRange expectedStatus,
        int unhealthyThreshold,
        int healthyThreshold) {

    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);
    public static final int DEFAULT_UNHEALTHY_THRESHOLD = 2;
    public static final int DEFAULT_HEALTHY_THRESHOLD = 1;

    public HealthCheckConfig {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(jitter, "jitter");
        Objects.requireNonNull(expectedStatus, "expectedStatus");
    }
}
