package io.outpost.upstream.resilience;

import io.outpost.upstream.Ticker;
import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * A Traefik-style circuit breaker. CLOSED lets everything through and watches a rolling window;
 * when the error ratio, or the share of calls slower than a latency threshold, passes its limit
 * (with at least {@code minRequests} in the window) it trips to OPEN. OPEN rejects everything
 * (the caller serves its fallback, typically 503) for {@code fallbackDuration}, then HALF_OPEN
 * lets a linearly growing share of traffic through for {@code recoveryDuration}, and returns to
 * CLOSED unless the window trips again.
 *
 * <p>With {@code slowCallRatio} 0.5 the latency rule is Traefik's
 * {@code LatencyAtQuantileMS(50.0) > threshold}: the median is above the threshold exactly when
 * more than half the calls are.
 *
 * <pre>{@code
 * if (!breaker.tryAcquire()) { respond 503; return; }
 * long start = ticker.nanos();
 * ... on response: breaker.onResult(ticker.nanos() - start, status >= 500 || networkError);
 * }</pre>
 *
 * <p>State changes and window updates hold this breaker's lock for a few field writes.
 */
public final class CircuitBreaker {

    /** The breaker's state. */
    public enum State { CLOSED, OPEN, HALF_OPEN }

    private final Ticker ticker;
    private final RandomGenerator random;
    private final double errorRatio;
    private final long latencyThresholdNanos;
    private final double slowCallRatio;
    private final int minRequests;
    private final long fallbackNanos;
    private final long recoveryNanos;
    private final RollingWindow window;

    private volatile State state = State.CLOSED;
    private long stateSince;

    private CircuitBreaker(Builder b) {
        this.ticker = Objects.requireNonNull(b.ticker, "ticker");
        this.random = Objects.requireNonNull(b.random, "random");
        this.errorRatio = b.errorRatio;
        this.latencyThresholdNanos = b.latencyThreshold == null ? Long.MAX_VALUE : b.latencyThreshold.toNanos();
        this.slowCallRatio = b.slowCallRatio;
        this.minRequests = b.minRequests;
        this.fallbackNanos = b.fallbackDuration.toNanos();
        this.recoveryNanos = b.recoveryDuration.toNanos();
        this.window = new RollingWindow(b.window.toNanos(), b.buckets);
        this.stateSince = ticker.nanos();
    }

    public static Builder builder(Ticker ticker, RandomGenerator random) {
        return new Builder(ticker, random);
    }

    /** Whether this request may go to the upstream; false means serve the fallback. */
    public boolean tryAcquire() {
        State s = state;
        if (s == State.CLOSED) {
            return true;
        }
        synchronized (this) {
            long now = ticker.nanos();
            advance(now);
            return switch (state) {
                case CLOSED -> true;
                case OPEN -> false;
                case HALF_OPEN -> random.nextDouble() * recoveryNanos < now - stateSince;
            };
        }
    }

    /** Records one call that {@link #tryAcquire()} let through. */
    public synchronized void onResult(long latencyNanos, boolean failure) {
        long now = ticker.nanos();
        advance(now);
        if (state == State.OPEN) {
            return;
        }
        window.record(now, failure, latencyNanos > latencyThresholdNanos);
        // Checked on every result: summing the buckets costs less than the lock around it, and a
        // check skipped for rate could miss the last result of a burst, with nothing to retry it.
        if (tripped(now)) {
            transition(State.OPEN, now);
        }
    }

    public State state() {
        synchronized (this) {
            advance(ticker.nanos());
            return state;
        }
    }

    private boolean tripped(long now) {
        long[] c = window.counts(now);
        long total = c[0];
        if (total < minRequests || total == 0) {
            return false;
        }
        return (double) c[1] / total > errorRatio || (double) c[2] / total > slowCallRatio;
    }

    private void advance(long now) {
        if (state == State.OPEN && now - stateSince >= fallbackNanos) {
            transition(State.HALF_OPEN, stateSince + fallbackNanos);
        }
        if (state == State.HALF_OPEN && now - stateSince >= recoveryNanos) {
            transition(State.CLOSED, stateSince + recoveryNanos);
        }
    }

    private void transition(State to, long at) {
        state = to;
        stateSince = at;
        window.clear();
    }

    /** Builds a {@link CircuitBreaker}; defaults follow Traefik where it has them. */
    public static final class Builder {
        private final Ticker ticker;
        private final RandomGenerator random;
        private double errorRatio = 0.5;
        private Duration latencyThreshold;
        private double slowCallRatio = 0.5;
        private int minRequests = 10;
        private Duration window = Duration.ofSeconds(10);
        private int buckets = 10;
        private Duration fallbackDuration = Duration.ofSeconds(10);
        private Duration recoveryDuration = Duration.ofSeconds(10);

        private Builder(Ticker ticker, RandomGenerator random) {
            this.ticker = ticker;
            this.random = random;
        }

        /** Trip when failures / calls exceeds this; 1.0 never trips on errors. */
        public Builder errorRatio(double ratio) {
            this.errorRatio = checkRatio("errorRatio", ratio);
            return this;
        }

        /** Trip when more than {@code slowCallRatio} of the calls take longer than this. */
        public Builder latencyThreshold(Duration threshold, double slowCallRatio) {
            this.latencyThreshold = positive("latencyThreshold", threshold);
            this.slowCallRatio = checkRatio("slowCallRatio", slowCallRatio);
            return this;
        }

        public Builder minRequests(int min) {
            if (min < 1) {
                throw new IllegalArgumentException("minRequests: " + min + " (expected: >= 1)");
            }
            this.minRequests = min;
            return this;
        }

        public Builder window(Duration window, int buckets) {
            this.window = positive("window", window);
            if (buckets < 1) {
                throw new IllegalArgumentException("buckets: " + buckets + " (expected: >= 1)");
            }
            this.buckets = buckets;
            return this;
        }

        public Builder fallbackDuration(Duration d) {
            this.fallbackDuration = positive("fallbackDuration", d);
            return this;
        }

        public Builder recoveryDuration(Duration d) {
            this.recoveryDuration = positive("recoveryDuration", d);
            return this;
        }

        public CircuitBreaker build() {
            return new CircuitBreaker(this);
        }

        private static Duration positive(String name, Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
            }
            return d;
        }

        private static double checkRatio(String name, double r) {
            if (!(r >= 0 && r <= 1)) {
                throw new IllegalArgumentException(name + ": " + r + " (expected: 0.0-1.0)");
            }
            return r;
        }
    }
}
