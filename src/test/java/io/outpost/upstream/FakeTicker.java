package io.outpost.upstream;

import java.time.Duration;

/** A ticker tests move by hand. */
public final class FakeTicker implements Ticker {

    private long now = 1_000_000_000L;

    @Override
    public synchronized long nanos() {
        return now;
    }

    public synchronized void advance(Duration d) {
        now += d.toNanos();
    }
}
