package io.outpost.runtime;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshots replaced by a reload, kept open for a grace period so that requests in flight finish on the
 * configuration they started with, then closed. A sweep on the gateway's scheduler closes those whose
 * grace has passed by the injected monotonic time source ({@link System#nanoTime} in the gateway), so
 * that a step of the wall clock neither closes a snapshot early, under requests still in flight, nor
 * keeps it open. No thread waits per reload, however many reloads come in a row, and a test moves
 * time instead of waiting. {@link #close} releases every one left at once.
 */
final class Retirement implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Retirement.class);

    /** How long a replaced snapshot stays open after the swap. */
    static final Duration GRACE = Duration.ofSeconds(30);
    /** How often due snapshots are looked for: a snapshot outlives its grace by at most this. */
    static final Duration SWEEP = Duration.ofSeconds(1);

    private final LongSupplier nanoTime;
    private final long graceNanos;
    /** Each retiring snapshot and when it is due to be closed, by {@link #nanoTime}. */
    private final Map<GatewayRuntime, Long> due = new ConcurrentHashMap<>();
    private final ScheduledFuture<?> sweeping;

    Retirement(ScheduledExecutorService scheduler, LongSupplier nanoTime, Duration grace, Duration sweep) {
        if (grace.isNegative()) {
            throw new IllegalArgumentException("grace: " + grace + " (expected: >= 0)");
        }
        if (sweep.isNegative() || sweep.isZero()) {
            throw new IllegalArgumentException("sweep: " + sweep + " (expected: > 0)");
        }
        this.nanoTime = nanoTime;
        this.graceNanos = grace.toNanos();
        this.sweeping = scheduler.scheduleWithFixedDelay(this::sweep, sweep.toMillis(), sweep.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** Closes {@code replaced} once the grace period has passed, or at {@link #close}, whichever comes first. */
    void retire(GatewayRuntime replaced) {
        due.put(replaced, nanoTime.getAsLong() + graceNanos);
    }

    /** Closes every snapshot whose grace period has passed. */
    void sweep() {
        long now = nanoTime.getAsLong();
        for (Map.Entry<GatewayRuntime, Long> e : List.copyOf(due.entrySet())) {
            if (now - e.getValue() >= 0) {
                release(e.getKey());
            }
        }
    }

    /** Stops sweeping and closes every snapshot still retiring, without waiting for its grace. */
    @Override
    public void close() {
        sweeping.cancel(false);
        for (GatewayRuntime runtime : List.copyOf(due.keySet())) {
            release(runtime);
        }
    }

    /**
     * Closes {@code runtime} unless a concurrent sweep or close already did. A failure is logged and the
     * others are still closed: an exception escaping the sweep would cancel every later one.
     */
    private void release(GatewayRuntime runtime) {
        if (due.remove(runtime) == null) {
            return;
        }
        try {
            runtime.close();
        } catch (RuntimeException e) {
            log.error("a replaced configuration failed to stop its background work", e);
        }
    }
}
