package io.outpost.proxy;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Notices a connection with no activity for a timeout, without reading the clock on every read.
 * Activity only sets a flag ({@link #touch}); a check on the connection's event loop every quarter of
 * the timeout counts the quarters that passed without any, and the fourth quiet one in a row runs
 * {@code onIdle}. A connection is therefore found idle after between 1 and 1.25 timeouts without
 * activity, and again every timeout after that while it stays idle.
 *
 * <p>Netty's {@code IdleStateHandler} is exact, but it is one more handler that every read, read
 * completion and write passes through, and it reads the clock at each read completion: on the proxy
 * path that was 5–9% of the CPU per request (docs/benchmarks.md, "Session 12").
 */
final class IdleWatch implements Runnable {

    /** Checks per timeout: how far past the timeout a connection may stay open. */
    static final int CHECKS = 4;

    private final Runnable onIdle;
    private boolean active = true;
    private int quiet;
    private ScheduledFuture<?> checks;

    private IdleWatch(Runnable onIdle) {
        this.onIdle = onIdle;
    }

    /**
     * Watches on {@code executor} (the connection's event loop, on which {@link #touch} is called too)
     * for {@code timeoutMillis} without activity; 0 or less watches nothing.
     */
    static IdleWatch start(EventExecutor executor, long timeoutMillis, Runnable onIdle) {
        IdleWatch watch = new IdleWatch(onIdle);
        if (timeoutMillis > 0) {
            long period = Math.max(1, TimeUnit.MILLISECONDS.toNanos(timeoutMillis) / CHECKS);
            watch.checks = executor.scheduleAtFixedRate(watch, period, period, TimeUnit.NANOSECONDS);
        }
        return watch;
    }

    /** Something happened on the connection: the idle time starts again. */
    void touch() {
        active = true;
    }

    /** Stops watching; {@code onIdle} runs no more. */
    void stop() {
        if (checks != null) {
            checks.cancel(false);
            checks = null;
        }
    }

    /** One check: a quarter of the timeout has passed since the last. */
    @Override
    public void run() {
        if (active) {
            active = false;
            quiet = 0;
        } else if (++quiet == CHECKS) {
            quiet = 0;
            onIdle.run();
        }
    }
}
