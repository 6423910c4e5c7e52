package io.outpost.upstream.resilience;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Envoy's retry budget: retries in flight may be at most {@code budgetPercent} of the requests in
 * flight, but at least {@code minRetryConcurrency}. Unlike a fixed {@code maxRetries}, it scales
 * with traffic, and it stops a struggling upstream from receiving a storm of retries.
 */
public final class RetryBudget {

    public static final double DEFAULT_BUDGET_PERCENT = 20.0;
    public static final int DEFAULT_MIN_RETRY_CONCURRENCY = 3;

    private final double budgetPercent;
    private final int minRetryConcurrency;
    private final AtomicInteger active = new AtomicInteger();

    public RetryBudget(double budgetPercent, int minRetryConcurrency) {
        if (!(budgetPercent >= 0 && budgetPercent <= 100)) {
            throw new IllegalArgumentException("budgetPercent: " + budgetPercent + " (expected: 0-100)");
        }
        if (minRetryConcurrency < 0) {
            throw new IllegalArgumentException("minRetryConcurrency: " + minRetryConcurrency + " (expected: >= 0)");
        }
        this.budgetPercent = budgetPercent;
        this.minRetryConcurrency = minRetryConcurrency;
    }

    public static RetryBudget defaults() {
        return new RetryBudget(DEFAULT_BUDGET_PERCENT, DEFAULT_MIN_RETRY_CONCURRENCY);
    }

    /** How many retries may be in flight when {@code activeRequests} requests are. */
    public int allowed(int activeRequests) {
        return Math.max(minRetryConcurrency, (int) (activeRequests * budgetPercent / 100.0));
    }

    /**
     * Takes a retry slot if the budget allows one.
     *
     * @param activeRequests the cluster's requests in flight, for example {@code limits.requests().used()}
     */
    public boolean tryAcquire(int activeRequests) {
        int max = allowed(activeRequests);
        while (true) {
            int a = active.get();
            if (a >= max) {
                return false;
            }
            if (active.compareAndSet(a, a + 1)) {
                return true;
            }
        }
    }

    /** Call when a retry that {@link #tryAcquire(int)} allowed has finished. */
    public void release() {
        if (active.getAndUpdate(a -> a > 0 ? a - 1 : 0) == 0) {
            throw new IllegalStateException("retry budget released more often than acquired");
        }
    }

    public int activeRetries() {
        return active.get();
    }
}
