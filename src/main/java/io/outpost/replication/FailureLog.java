package io.outpost.replication;

import io.outpost.upstream.Ticker;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;

/**
 * Logs a failure that repeats once per cause, and the same cause again at most once per {@code interval},
 * with how often it recurred in between. A journal that refuses records while every waiting write retries
 * (a full disk) would otherwise log a line per write and retry, filling the log (and maybe the disk it is
 * failing on) with one message; the journal's failed-writes metric counts every failure.
 */
final class FailureLog {

    /** Causes remembered at once; more distinct ones than this are rare, and forgetting one only logs it again. */
    private static final int CAUSES = 16;

    private final Logger log;
    private final Ticker ticker;
    private final long intervalNanos;
    /** Cause -> when it was last logged and how often it recurred since; eldest forgotten first. Guarded by this. */
    private final Map<String, Seen> seen = new LinkedHashMap<>(CAUSES, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Seen> eldest) {
            return size() > CAUSES;
        }
    };

    private static final class Seen {
        long loggedAt;
        long since;
    }

    FailureLog(Logger log, Ticker ticker, Duration interval) {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval: " + interval + " (expected: > 0)");
        }
        this.log = log;
        this.ticker = ticker;
        this.intervalNanos = interval.toNanos();
    }

    /** Logs {@code what: cause} at error level, unless {@code cause} was logged less than the interval ago. */
    void error(String what, String cause) {
        long now = ticker.nanos();
        long repeats;
        synchronized (this) {
            Seen s = seen.get(cause);
            if (s != null && now - s.loggedAt < intervalNanos) {
                s.since++;
                return;
            }
            if (s == null) {
                s = new Seen();
                seen.put(cause, s);
            }
            repeats = s.since;
            s.loggedAt = now;
            s.since = 0;
        }
        if (repeats == 0) {
            log.error("{}: {}", what, cause);
        } else {
            log.error("{}: {} ({} more times since it was last logged)", what, cause, repeats);
        }
    }
}
