package io.outpost.config;

/** Envoy-style per-cluster limits: past them, requests fail fast instead of queueing without end. */
public record CircuitBreakersConfig(int maxConnections, int maxPendingRequests, int maxRequests, int maxRetries) {

    public static final CircuitBreakersConfig DEFAULT = new CircuitBreakersConfig(1024, 1024, 1024, 3);
}
