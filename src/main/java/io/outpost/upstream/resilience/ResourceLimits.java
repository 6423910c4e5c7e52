package io.outpost.upstream.resilience;

/**
 * Per-cluster circuit-breaking thresholds, Envoy's four, each a {@link Limit}. Defaults are
 * Envoy's: 1024 connections, 1024 pending requests, 1024 requests, 3 concurrent retries.
 *
 * <pre>{@code
 * if (!limits.requests().tryAcquire()) { respond 503 (upstream overflow) }
 * try { forward } finally { limits.requests().release(); }
 * }</pre>
 */
public final class ResourceLimits {

    public static final int DEFAULT_MAX_CONNECTIONS = 1024;
    public static final int DEFAULT_MAX_PENDING_REQUESTS = 1024;
    public static final int DEFAULT_MAX_REQUESTS = 1024;
    public static final int DEFAULT_MAX_RETRIES = 3;

    private final Limit connections;
    private final Limit pendingRequests;
    private final Limit requests;
    private final Limit retries;

    public ResourceLimits(int maxConnections, int maxPendingRequests, int maxRequests, int maxRetries) {
        this.connections = new Limit("maxConnections", maxConnections);
        this.pendingRequests = new Limit("maxPendingRequests", maxPendingRequests);
        this.requests = new Limit("maxRequests", maxRequests);
        this.retries = new Limit("maxRetries", maxRetries);
    }

    public static ResourceLimits defaults() {
        return new ResourceLimits(DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_PENDING_REQUESTS, DEFAULT_MAX_REQUESTS,
                DEFAULT_MAX_RETRIES);
    }

    /** Open upstream connections; acquire before connecting, release on close. */
    public Limit connections() {
        return connections;
    }

    /** Requests waiting for a connection from the pool. */
    public Limit pendingRequests() {
        return pendingRequests;
    }

    /** Requests in flight to the cluster. */
    public Limit requests() {
        return requests;
    }

    /** Retries in flight to the cluster (used when no {@link RetryBudget} is configured). */
    public Limit retries() {
        return retries;
    }

    @Override
    public String toString() {
        return connections + ", " + pendingRequests + ", " + requests + ", " + retries;
    }
}
