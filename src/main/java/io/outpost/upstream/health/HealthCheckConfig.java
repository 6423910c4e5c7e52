package io.outpost.upstream.health;

import java.time.Duration;

/**
 * An HTTP health check: GET {@code path} every {@code interval} (plus up to
 * {@code jitter × interval}, so checks of many gateways do not align), failing after
 * {@code timeout} or on a status outside {@code [expectedStatusMin, expectedStatusMax]}.
 *
 * @param jitter a fraction of the interval in [0, 1]
 */
public record HealthCheckConfig(
        String path,
        int expectedStatusMin,
        int expectedStatusMax,
        Duration interval,
        double jitter,
        Duration timeout,
        int unhealthyThreshold,
        int healthyThreshold) {

    public HealthCheckConfig {
        if (path == null || !path.startsWith("/")) {
            throw new IllegalArgumentException("path: \"" + path + "\" (expected: starts with /)");
        }
        if (expectedStatusMin < 100 || expectedStatusMax > 599 || expectedStatusMin > expectedStatusMax) {
            throw new IllegalArgumentException("expectedStatus: " + expectedStatusMin + "-" + expectedStatusMax
                    + " (expected: a range within 100-599)");
        }
        if (interval == null || interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval: " + interval + " (expected: > 0)");
        }
        if (!(jitter >= 0 && jitter <= 1)) {
            throw new IllegalArgumentException("jitter: " + jitter + " (expected: 0.0-1.0)");
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout: " + timeout + " (expected: > 0)");
        }
        if (unhealthyThreshold < 1 || healthyThreshold < 1) {
            throw new IllegalArgumentException("thresholds: unhealthy " + unhealthyThreshold + ", healthy "
                    + healthyThreshold + " (expected: >= 1)");
        }
    }

    /** {@code GET path}, 2xx/3xx, every 10 s (+10% jitter), 5 s timeout, thresholds 2 and 1. */
    public static HealthCheckConfig of(String path) {
        return new HealthCheckConfig(path, 200, 399, Duration.ofSeconds(10), 0.1, Duration.ofSeconds(5), 2, 1);
    }

    public HealthCheckConfig withInterval(Duration newInterval, Duration newTimeout) {
        return new HealthCheckConfig(path, expectedStatusMin, expectedStatusMax, newInterval, jitter, newTimeout,
                unhealthyThreshold, healthyThreshold);
    }

    public HealthCheckConfig withThresholds(int unhealthy, int healthy) {
        return new HealthCheckConfig(path, expectedStatusMin, expectedStatusMax, interval, jitter, timeout,
                unhealthy, healthy);
    }

    public boolean expected(int status) {
        return status >= expectedStatusMin && status <= expectedStatusMax;
    }
}
