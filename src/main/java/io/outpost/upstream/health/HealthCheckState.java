package io.outpost.upstream.health;

/**
 * The active health-check verdict of one endpoint: it turns unhealthy after
 * {@code unhealthyThreshold} consecutive failed checks and healthy again after
 * {@code healthyThreshold} consecutive good ones, so one lost probe does not flap an endpoint.
 * Each result reports whether it changed the verdict, started counting towards a change
 * (pending), or did nothing. Thread-safe: results may arrive on HTTP client threads.
 *
 * <p>The last error describes the present, as Envoy's health flags and Traefik's server status do: it
 * stays while the endpoint is unhealthy (or healthy with its latest check failed) and goes once the
 * endpoint is healthy and a check has passed, so the admin API never shows a recovered endpoint with
 * an old error. The log keeps the history: each change of verdict is logged with its error.
 */
public final class HealthCheckState {

    /** What one result did to the verdict. */
    public enum Transition {
        /** The verdict stays and no change is under way. */
        UNCHANGED,
        /** The verdict flipped with this result. */
        CHANGED,
        /** The result counts towards a flip that needs more consecutive results. */
        PENDING
    }

    private final int unhealthyThreshold;
    private final int healthyThreshold;
    private boolean healthy;
    private int consecutiveFailures;
    private int consecutiveSuccesses;
    private long lastTransitionNanos;
    private String lastError;

    /**
     * @param initiallyHealthy the verdict before the first check; true lets a new endpoint take
     *     traffic at once (a failing one is caught by the first checks and by outlier detection)
     */
    public HealthCheckState(int unhealthyThreshold, int healthyThreshold, boolean initiallyHealthy, long nowNanos) {
        if (unhealthyThreshold < 1) {
            throw new IllegalArgumentException("unhealthyThreshold: " + unhealthyThreshold + " (expected: >= 1)");
        }
        if (healthyThreshold < 1) {
            throw new IllegalArgumentException("healthyThreshold: " + healthyThreshold + " (expected: >= 1)");
        }
        this.unhealthyThreshold = unhealthyThreshold;
        this.healthyThreshold = healthyThreshold;
        this.healthy = initiallyHealthy;
        this.lastTransitionNanos = nowNanos;
    }

    public synchronized Transition onSuccess(long nowNanos) {
        consecutiveFailures = 0;
        if (healthy) {
            consecutiveSuccesses = 0;
            lastError = null;
            return Transition.UNCHANGED;
        }
        if (++consecutiveSuccesses >= healthyThreshold) {
            healthy = true;
            consecutiveSuccesses = 0;
            lastTransitionNanos = nowNanos;
            lastError = null;
            return Transition.CHANGED;
        }
        return Transition.PENDING;
    }

    /** @param error what went wrong, for example {@code "status 503"} or {@code "timeout"} */
    public synchronized Transition onFailure(long nowNanos, String error) {
        consecutiveSuccesses = 0;
        lastError = error;
        if (!healthy) {
            consecutiveFailures = 0;
            return Transition.UNCHANGED;
        }
        if (++consecutiveFailures >= unhealthyThreshold) {
            healthy = false;
            consecutiveFailures = 0;
            lastTransitionNanos = nowNanos;
            return Transition.CHANGED;
        }
        return Transition.PENDING;
    }

    public synchronized boolean healthy() {
        return healthy;
    }

    /** Ticker time of the last verdict change (or of creation). */
    public synchronized long lastTransitionNanos() {
        return lastTransitionNanos;
    }

    /**
     * The most recent failure's description while it still explains the state: the endpoint is unhealthy,
     * or its latest check failed; {@code null} once it is healthy and a check has passed since.
     */
    public synchronized String lastError() {
        return lastError;
    }

    @Override
    public synchronized String toString() {
        return (healthy ? "healthy" : "unhealthy") + (lastError == null ? "" : " (last error: " + lastError + ")");
    }
}
