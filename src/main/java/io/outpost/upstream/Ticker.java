package io.outpost.upstream;

/**
 * A source of monotonic nanoseconds. Every algorithm in this package reads time through one, so
 * tests drive time by hand instead of sleeping.
 */
@FunctionalInterface
public interface Ticker {

    long nanos();

    /** The real clock, {@link System#nanoTime()}: the only place this package reads it. */
    static Ticker system() {
        return System::nanoTime;
    }
}
