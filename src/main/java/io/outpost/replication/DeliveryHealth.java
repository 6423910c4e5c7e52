package io.outpost.replication;

import io.outpost.upstream.Ticker;
import io.outpost.upstream.resilience.Backoff;

/**
 * Whether deliveries to one replica are getting through, and when to try again after they did not:
 * exponential backoff with full jitter after each failed delivery, reset by the first answer or by
 * an active health check that sees the replica again. Pure logic: time comes from a {@link Ticker}
 * and randomness from the {@link Backoff}, so tests drive both.
 */
final class DeliveryHealth {

    private final Ticker ticker;
    private final Backoff backoff;
    private int failures;
    private long retryAt;
    private boolean catchingUp;

    DeliveryHealth(Ticker ticker, Backoff backoff) {
        this.ticker = ticker;
        this.backoff = backoff;
    }

    /** A delivery was not reached: back off, and replay (rather than shadow) until caught up. */
    synchronized void failed() {
        retryAt = ticker.nanos() + backoff.delayNanos(Math.min(failures, 30));
        failures++;
        catchingUp = true;
    }

    /** The replica answered a delivery. */
    synchronized void answered() {
        failures = 0;
        retryAt = 0;
    }

    /** An active health check saw the replica come back: retry at once. */
    synchronized void healthRestored() {
        retryAt = 0;
        failures = Math.min(failures, 1);
    }

    /** The replica has no backlog left: later deliveries are shadow deliveries again. */
    synchronized void caughtUp() {
        if (failures == 0) {
            catchingUp = false;
        }
    }

    /** True while the last delivery failed and no answer came since. */
    synchronized boolean unreachable() {
        return failures > 0;
    }

    /** True when the backoff has passed (or there is none). */
    synchronized boolean mayDeliver() {
        return failures == 0 || ticker.nanos() - retryAt >= 0;
    }

    synchronized boolean catchingUp() {
        return catchingUp;
    }

    /** Nanoseconds until the next retry, 0 when one may start now. */
    synchronized long nanosUntilRetry() {
        return failures == 0 ? 0 : Math.max(0, retryAt - ticker.nanos());
    }

    synchronized int failures() {
        return failures;
    }
}
