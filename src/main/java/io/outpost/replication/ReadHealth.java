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
 * times the skips in a row, capped, as Envoy's ejection time grows); then the next read to go there is its
 * trial, and the others keep skipping it until the trial has its verdict, so that a replica still hung costs
 * one read a timeout rather than every read that arrives meanwhile. A failed trial skips it again at once,
 * for longer; any response head resets it all.
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
    /** A read is the trial of a skip that has run out, until it has its verdict or {@link #trialUntil}. */
    private boolean trial;
    private long trialUntil;

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
        trial = false;
    }

    /** The replica sent a response head: it is reachable, whatever the status. */
    synchronized void answered() {
        failures = 0;
        skips = 0;
        trial = false;
    }

    /**
     * A read goes to the replica. When its skip has run out and no trial is under way, this read is the trial:
     * until it fails or is answered, other reads keep skipping the replica. {@code verdictNanos} bounds the
     * wait for that verdict (the read's connect and response-header timeouts): a trial that never gets one,
     * as when its client went away first, lets the next read try.
     */
    synchronized void attempt(long verdictNanos) {
        if (skips == 0) {
            return;   // not skipped: the common case, without a clock read
        }
        long now = ticker.nanos();
        if (!skippedAt(now) && !trialAt(now)) {
            trial = true;
            trialUntil = now + verdictNanos;
        }
    }

    /** An active health check saw the replica come back: reads try it at once. */
    synchronized void healthRestored() {
        answered();
    }

    /** True while reads should skip the replica: during a back-off, and while another read is its trial. */
    synchronized boolean skipped() {
        long now = ticker.nanos();
        return skippedAt(now) || trialAt(now);
    }

    private boolean skippedAt(long now) {
        return skips > 0 && now - skipUntil < 0;
    }

    private boolean trialAt(long now) {
        return trial && now - trialUntil < 0;
    }

    /**
     * The ticker time until which reads skip the replica, while they do: the end of the back-off, or during a
     * trial the latest its verdict can come.
     */
    synchronized OptionalLong skippedUntilNanos() {
        long now = ticker.nanos();
        if (skippedAt(now)) {
            return OptionalLong.of(skipUntil);
        }
        return trialAt(now) ? OptionalLong.of(trialUntil) : OptionalLong.empty();
    }

    synchronized int failures() {
        return failures;
    }
}
