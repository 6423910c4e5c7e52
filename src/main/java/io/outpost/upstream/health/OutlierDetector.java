package io.outpost.upstream.health;

import io.outpost.upstream.Endpoint;
import io.outpost.upstream.Ticker;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Passive health checking: ejects an endpoint that answers with too many consecutive errors,
 * following Envoy's ejection algorithm. An endpoint is ejected at once when none is; otherwise
 * only while the ejected share is below {@code maxEjectionPercent}. It stays out for
 * {@code baseEjectionTime × times ejected} (capped), and {@link #sweep()} returns it. Each sweep
 * in which an endpoint stays in service lowers its multiplier by one, so an old failure is
 * forgotten.
 *
 * <p>Counting is lock-free; ejection decisions, which are rare, take this detector's lock.
 *
 * <pre>{@code
 * OutlierDetector outliers = new OutlierDetector(OutlierConfig.defaults(), cluster.endpoints(),
 *         Ticker.system(), cluster::refresh);
 * scheduler.scheduleAtFixedRate(outliers::sweep, 10, 10, SECONDS);
 * // per response: outliers.onResponse(endpoint, status); per connect error/reset: outliers.onConnectFailure(endpoint)
 * }</pre>
 */
public final class OutlierDetector {

    private static final Logger log = LoggerFactory.getLogger(OutlierDetector.class);

    private final OutlierConfig config;
    private final Ticker ticker;
    private final Runnable onChange;
    private final Map<String, Host> hosts = new HashMap<>();
    private int ejectedCount;
    private boolean closed;

    public OutlierDetector(OutlierConfig config, List<Endpoint> endpoints, Ticker ticker, Runnable onChange) {
        this.config = Objects.requireNonNull(config, "config");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.onChange = Objects.requireNonNull(onChange, "onChange");
        for (Endpoint e : endpoints) {
            hosts.put(e.id(), new Host(e));
            if (e.state().ejected()) {
                e.state().ejected(false);
            }
        }
    }

    /** Records an HTTP response from {@code endpoint}. */
    public void onResponse(Endpoint endpoint, int status) {
        Host h = hosts.get(endpoint.id());
        if (h == null) {
            return;
        }
        if (status < 500) {
            h.consecutive5xx.set(0);
            h.consecutiveGateway.set(0);
            return;
        }
        int c5 = h.consecutive5xx.incrementAndGet();
        int gw = status == 502 || status == 503 || status == 504
                ? h.consecutiveGateway.incrementAndGet()
                : resetTo0(h.consecutiveGateway);
        if (c5 >= config.consecutive5xx()) {
            eject(h, "consecutive 5xx (" + c5 + ")");
        } else if (gw >= config.consecutiveGatewayFailure()) {
            eject(h, "consecutive gateway failures (" + gw + ")");
        }
    }

    /** Records a connect failure, reset or timeout: a gateway failure (counted as a 503). */
    public void onConnectFailure(Endpoint endpoint) {
        onResponse(endpoint, 503);
    }

    /** Returns endpoints whose ejection time is over; call every {@link OutlierConfig#interval()}. */
    public void sweep() {
        boolean changed = false;
        synchronized (this) {
            long now = ticker.nanos();
            for (Host h : hosts.values()) {
                if (h.ejected) {
                    if (now - h.ejectedUntil >= 0) {
                        h.ejected = false;
                        h.consecutive5xx.set(0);
                        h.consecutiveGateway.set(0);
                        h.endpoint.state().ejected(false);
                        ejectedCount--;
                        changed = true;
                        log.info("outlier detection: {} returns to service", h.endpoint.id());
                    }
                } else if (h.multiplier > 0 && !h.ejectedSinceSweep) {
                    h.multiplier--;
                }
                h.ejectedSinceSweep = false;
            }
        }
        if (changed) {
            onChange.run();
        }
    }

    /**
     * Stops ejecting: a detector whose configuration was replaced no longer has a sweep to return
     * what it ejects, so results of its requests still in flight are ignored.
     */
    public synchronized void close() {
        closed = true;
    }

    public synchronized boolean ejected(Endpoint endpoint) {
        Host h = hosts.get(endpoint.id());
        return h != null && h.ejected;
    }

    /** The current ejection-time multiplier of {@code endpoint} (times ejected, less forgiveness). */
    public synchronized int multiplier(Endpoint endpoint) {
        Host h = hosts.get(endpoint.id());
        return h == null ? 0 : h.multiplier;
    }

    /** Ticker time when {@code endpoint}'s current ejection ends, or 0 when it is not ejected. */
    public synchronized long ejectedUntilNanos(Endpoint endpoint) {
        Host h = hosts.get(endpoint.id());
        return h != null && h.ejected ? h.ejectedUntil : 0;
    }

    public synchronized int ejectedCount() {
        return ejectedCount;
    }

    private void eject(Host h, String reason) {
        synchronized (this) {
            if (h.ejected || closed) {
                return;
            }
            if (ejectedCount > 0 && 100L * ejectedCount / hosts.size() >= config.maxEjectionPercent()) {
                return;
            }
            long now = ticker.nanos();
            h.multiplier++;
            long duration = Math.min(config.baseEjectionTime().toNanos() * h.multiplier,
                    config.maxEjectionTime().toNanos());
            h.ejected = true;
            h.ejectedSinceSweep = true;
            h.ejectedUntil = now + duration;
            h.consecutive5xx.set(0);
            h.consecutiveGateway.set(0);
            h.endpoint.state().ejected(true);
            ejectedCount++;
            log.info("outlier detection: ejecting {} for {} ms: {}", h.endpoint.id(), duration / 1_000_000, reason);
        }
        onChange.run();
    }

    private static int resetTo0(AtomicInteger counter) {
        counter.set(0);
        return 0;
    }

    private static final class Host {
        final Endpoint endpoint;
        final AtomicInteger consecutive5xx = new AtomicInteger();
        final AtomicInteger consecutiveGateway = new AtomicInteger();
        boolean ejected;
        boolean ejectedSinceSweep;
        long ejectedUntil;
        int multiplier;

        Host(Endpoint endpoint) {
            this.endpoint = endpoint;
        }
    }
}
