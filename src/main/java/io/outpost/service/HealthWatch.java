package io.outpost.service;

import io.outpost.config.HealthCheckConfig;
import io.outpost.config.OutlierDetectionConfig;
import io.outpost.proxy.NettyHealthProbe;
import io.outpost.tls.UpstreamTls;
import io.outpost.upstream.Cluster;
import io.outpost.upstream.Endpoint;
import io.outpost.upstream.Ticker;
import io.outpost.upstream.health.HttpHealthChecker;
import io.outpost.upstream.health.OutlierConfig;
import io.outpost.upstream.health.OutlierDetector;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.random.RandomGenerator;

/**
 * The active health checker and the outlier detector of one load-balancer service, and the
 * cluster their verdicts refresh. A reload with the same endpoints and settings hands the whole
 * watch to the successor service (checks go on without a gap, ejections stay); otherwise the
 * successor starts its own and stops this one at once. Only the current owner may close it; when
 * the successor that took the watch over is closed while its predecessor still serves (its
 * snapshot was rejected), the watch goes back to the predecessor instead of stopping.
 */
final class HealthWatch {

    private final Object key;
    private final AtomicReference<Cluster> cluster;
    private final HttpHealthChecker checker;
    private final OutlierDetector outliers;
    private final ScheduledFuture<?> sweep;
    private volatile Object owner;
    /** The owner before the last hand-over and its cluster, until that owner is closed. */
    private Object previousOwner;
    private Cluster previousCluster;
    private volatile boolean closed;

    private HealthWatch(Object key, Cluster cluster, HttpHealthChecker checker, OutlierDetector outliers,
                        ScheduledFuture<?> sweep, AtomicReference<Cluster> ref) {
        this.key = key;
        this.cluster = ref;
        this.checker = checker;
        this.outliers = outliers;
        this.sweep = sweep;
        ref.set(cluster);
    }

    /**
     * Starts a watch for {@code cluster}, or takes over {@code previous} when it watches the same
     * endpoints with the same settings.
     */
    static HealthWatch start(Object owner, Cluster cluster, Optional<HealthCheckConfig> healthCheck,
                             Optional<OutlierDetectionConfig> outlierDetection, UpstreamTls tls,
                             HealthWatch previous, ScheduledExecutorService scheduler, Ticker ticker,
                             RandomGenerator random) {
        List<String> ids = cluster.endpoints().stream().map(Endpoint::id).sorted().toList();
        Object key = List.of(ids, healthCheck, outlierDetection, tls == null ? "" : tls.id());
        if (previous != null && !previous.closed && previous.key.equals(key)) {
            synchronized (previous) {
                previous.previousOwner = previous.owner;
                previous.previousCluster = previous.cluster.get();
                previous.cluster.set(cluster);
                previous.owner = owner;
            }
            return previous;
        }
        if (previous != null) {
            previous.stop();
        }
        AtomicReference<Cluster> ref = new AtomicReference<>(cluster);
        HttpHealthChecker checker = healthCheck.map(hc -> new HttpHealthChecker(convert(hc), cluster.endpoints(),
                new NettyHealthProbe(tls), scheduler, ticker, random, (e, healthy) -> ref.get().refresh())).orElse(null);
        OutlierDetector outliers = outlierDetection.map(od -> new OutlierDetector(convert(od), cluster.endpoints(),
                ticker, () -> ref.get().refresh())).orElse(null);
        // A verdict carried over from the previous configuration stays only while something of this
        // one can revisit it: with no active checks, or no outlier detection, nothing ever would.
        for (Endpoint e : cluster.endpoints()) {
            if (checker == null) {
                e.state().activeHealthy(true);
            }
            if (outliers == null) {
                e.state().ejected(false);
            }
        }
        ScheduledFuture<?> sweep = null;
        if (outliers != null) {
            long every = outlierDetection.get().interval().toNanos();
            sweep = scheduler.scheduleAtFixedRate(outliers::sweep, every, every, TimeUnit.NANOSECONDS);
        }
        cluster.refresh();
        HealthWatch watch = new HealthWatch(key, cluster, checker, outliers, sweep, ref);
        watch.owner = owner;
        if (checker != null) {
            checker.start();
        }
        return watch;
    }

    static io.outpost.upstream.health.HealthCheckConfig convert(HealthCheckConfig c) {
        double jitter = c.interval().isZero() ? 0 : Math.min(1.0, (double) c.jitter().toNanos() / c.interval().toNanos());
        return new io.outpost.upstream.health.HealthCheckConfig(c.path(), c.expectedStatus().from(),
                c.expectedStatus().to(), c.interval(), jitter, c.timeout(), c.unhealthyThreshold(),
                c.healthyThreshold());
    }

    static OutlierConfig convert(OutlierDetectionConfig c) {
        Duration max = c.baseEjectionTime().compareTo(Duration.ofSeconds(300)) > 0
                ? c.baseEjectionTime() : Duration.ofSeconds(300);
        return new OutlierConfig(c.consecutive5xx(), c.consecutiveGatewayFailure(), c.baseEjectionTime(), max,
                c.maxEjectionPercent(), c.interval());
    }

    /** The active checker, or null when none is configured. */
    HttpHealthChecker checker() {
        return checker;
    }

    /** The outlier detector, or null when passive health is off. */
    OutlierDetector outliers() {
        return outliers;
    }

    /** Closes the watch if {@code caller} still owns it. */
    void close(Object caller) {
        Cluster restored = null;
        synchronized (this) {
            if (Objects.equals(owner, caller)) {
                if (previousOwner == null) {
                    stop();
                    return;
                }
                owner = previousOwner;
                restored = previousCluster;
                cluster.set(restored);
                previousOwner = null;
                previousCluster = null;
            } else if (Objects.equals(previousOwner, caller)) {
                previousOwner = null;
                previousCluster = null;
            }
        }
        if (restored != null) {
            restored.refresh();
        }
    }

    private void stop() {
        closed = true;
        if (checker != null) {
            checker.close();
        }
        if (sweep != null) {
            sweep.cancel(false);
        }
        if (outliers != null) {
            outliers.close();
        }
    }
}
