package io.outpost.upstream.resilience;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A counter with a ceiling: {@link #tryAcquire()} fails instead of waiting, so the proxy can
 * answer 503 at once when an upstream is saturated (Envoy's circuit-breaking thresholds).
 */
public final class Limit {

    private final String name;
    private final int max;
    private final AtomicInteger used = new AtomicInteger();

    public Limit(String name, int max) {
        if (max < 0) {
            throw new IllegalArgumentException(name + ": " + max + " (expected: >= 0)");
        }
        this.name = name;
        this.max = max;
    }

    /** Takes one unit, or returns false when all {@link #max()} are in use. */
    public boolean tryAcquire() {
        while (true) {
            int u = used.get();
            if (u >= max) {
                return false;
            }
            if (used.compareAndSet(u, u + 1)) {
                return true;
            }
        }
    }

    /** Returns one unit taken by a successful {@link #tryAcquire()}. */
    public void release() {
        if (used.getAndUpdate(u -> u > 0 ? u - 1 : 0) == 0) {
            throw new IllegalStateException(name + ": released more often than acquired");
        }
    }

    public int used() {
        return used.get();
    }

    public int max() {
        return max;
    }

    public String name() {
        return name;
    }

    @Override
    public String toString() {
        return name + " " + used.get() + "/" + max;
    }
}
