package io.outpost.replication;

import io.outpost.upstream.Ticker;
import java.time.Duration;
import java.util.OptionalLong;

/**
 * Whether reads should skip one replica, learned from the reads themselves, as Envoy's outlier detection
 * does for consecutive gateway failures. A read that does not reach the replica (a connect failure, a reset,
 * no response head within {@code responseHeader}) costs the client up to a whole timeout before it fails
 * over; without this, the next read of the session would pick the same hung replica and wait again. After
 * {@link Policy#consecutiveFailures} such reads in a row, reads skip the replica for a back-off (the base
 * times the skips in a row, capped, as Envoy's ejection time grows); then the next read tries it again.
 * One more failure skips it again at once, for longer; any response head resets it all.
 *
 * <p>Only reads feed it and only reads consult it: writes keep their own delivery health
 * ({@link DeliveryHealth}) and their guarantees. Pure logic over a {@link Ticker}.
 */
final class ReadHealth {

    /**
     * When reads skip a replica and for how long.
     *
     * @param consecutiveFailures reads in a row that did not reach the replica before it is skipped
     * @param baseSkip            the first back-off; the n-th skip in a row lasts n times as long
     * @param maxSkip             the longest back-off
     */
    record Policy(int consecutiveFailures, Duration baseSkip, Duration maxSkip) {

        /**
         * Three failures, as one or two can be a lost SYN or a pause of the replica, while each one costs a read
         * a whole {@code responseHeader} timeout: three bounds what a hung replica costs before it is skipped.
         * Envoy's ejection times: 30 s, growing to at most 300 s while the replica keeps failing its trials.
         */
        static final Policy DEFAULTS = new Policy(3, Duration.ofSeconds(30), Duration.ofSeconds(300));

        Policy {
            if (consecutiveFailures < 1) {
                throw new IllegalArgumentException("consecutiveFailures: " + consecutiveFailures + " (expected: >= 1)");
            }
            if (baseSkip.isNegative() || baseSkip.isZero()) {
                throw new IllegalArgumentException("baseSkip: " + baseSkip + " (expected: > 0)");
            }
            if (maxSkip.compareTo(baseSkip) < 0) {
                throw new IllegalArgumentException("maxSkip: " + maxSkip + " (expected: >= baseSkip " + baseSkip + ")");
            }
        }
    }

    private final Ticker ticker;
    private final Policy policy;
    private int failures;
    /** Skips in a row, which lengthen the next one; 0 while the replica is not skipped. */
    private int skips;
    private long skipUntil;

    ReadHealth(Ticker ticker, Policy policy) {
        this.ticker = ticker;
        this.policy = policy;
    }

    /**
     * A read did not reach the replica. One that fails while the replica is skipped (it was under way when the
     * skip began, or every other replica failed it too) does not lengthen the skip: only a failed trial does.
     */
    synchronized void failed() {
        failures++;
        long now = ticker.nanos();
        if (failures >= policy.consecutiveFailures() && !skippedAt(now)) {
            skips++;
            long base = policy.baseSkip().toNanos();
            long max = policy.maxSkip().toNanos();
            skipUntil = now + (skips > max / base ? max : Math.min(max, base * skips));
        }
    }

    /** The replica sent a response head: it is reachable, whatever the status. */
    synchronized void answered() {
        failures = 0;
        skips = 0;
    }

    /** An active health check saw the replica come back: reads try it at once. */
    synchronized void healthRestored() {
        answered();
    }

    /** True while reads should skip the replica. */
    synchronized boolean skipped() {
        return skippedAt(ticker.nanos());
    }

    private boolean skippedAt(long now) {
        return skips > 0 && now - skipUntil < 0;
    }

    /** The ticker time the current skip ends, while there is one. */
    synchronized OptionalLong skippedUntilNanos() {
        return skipped() ? OptionalLong.of(skipUntil) : OptionalLong.empty();
    }

    synchronized int failures() {
        return failures;
    }
}
