package io.outpost.upstream.health;

import java.time.Duration;

/**
 * Passive health checking settings, named and defaulted as Envoy's outlier detection:
 * 5 consecutive 5xx, 5 consecutive gateway failures (502/503/504 and connect errors), 30 s base
 * ejection time multiplied by the times ejected and capped at 300 s, at most 10% of endpoints
 * ejected (but always at least one), and a sweep every 10 s that returns endpoints to service.
 */
public record OutlierConfig(
        int consecutive5xx,
        int consecutiveGatewayFailure,
        Duration baseEjectionTime,
        Duration maxEjectionTime,
        int maxEjectionPercent,
        Duration interval) {

    public OutlierConfig {
        if (consecutive5xx < 1 || consecutiveGatewayFailure < 1) {
            throw new IllegalArgumentException("consecutive5xx: " + consecutive5xx + ", consecutiveGatewayFailure: "
                    + consecutiveGatewayFailure + " (expected: >= 1)");
        }
        if (baseEjectionTime.isNegative() || baseEjectionTime.isZero()) {
            throw new IllegalArgumentException("baseEjectionTime: " + baseEjectionTime + " (expected: > 0)");
        }
        if (maxEjectionTime.compareTo(baseEjectionTime) < 0) {
            throw new IllegalArgumentException("maxEjectionTime: " + maxEjectionTime + " (expected: >= baseEjectionTime "
                    + baseEjectionTime + ")");
        }
        if (maxEjectionPercent < 0 || maxEjectionPercent > 100) {
            throw new IllegalArgumentException("maxEjectionPercent: " + maxEjectionPercent + " (expected: 0-100)");
        }
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval: " + interval + " (expected: > 0)");
        }
    }

    public static OutlierConfig defaults() {
        return new OutlierConfig(5, 5, Duration.ofSeconds(30), Duration.ofSeconds(300), 10, Duration.ofSeconds(10));
    }
}
