package io.outpost.upstream;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The live part of an endpoint, written from many threads: in-flight requests (read by
 * {@code leastRequest}), the active health-check verdict and the outlier-ejection flag. Each is a
 * single atomic or volatile field, so readers on event loops never take a lock.
 */
public final class EndpointState {

    private final AtomicInteger activeRequests = new AtomicInteger();
    private volatile boolean activeHealthy = true;
    private volatile boolean ejected;

    /** Call when a request is sent to this endpoint. */
    public void requestStarted() {
        activeRequests.incrementAndGet();
    }

    /** Call exactly once per {@link #requestStarted()}, when that request ends for any reason. */
    public void requestFinished() {
        activeRequests.decrementAndGet();
    }

    public int activeRequests() {
        return activeRequests.get();
    }

    /** The verdict of active health checking; true until a check says otherwise. */
    public boolean activeHealthy() {
        return activeHealthy;
    }

    public void activeHealthy(boolean value) {
        this.activeHealthy = value;
    }

    /** True while outlier detection has ejected this endpoint. */
    public boolean ejected() {
        return ejected;
    }

    public void ejected(boolean value) {
        this.ejected = value;
    }

    public boolean healthy() {
        return activeHealthy && !ejected;
    }

    @Override
    public String toString() {
        return "active=" + activeRequests.get() + ", activeHealthy=" + activeHealthy + ", ejected=" + ejected;
    }
}
