package io.outpost.service;

import io.outpost.config.HealthCheckConfig;
import io.outpost.config.OutlierDetectionConfig;
import io.outpost.proxy.NettyHealthProbe;
import io.outpost.tls.UpstreamTls;
import io.outpost.upstream.Cluster;
import io.outpost.upstream.Endpoint;
import io.outpost.upstream.health.HttpHealthChecker;
import io.outpost.upstream.health.OutlierConfig;
import io.outpost.upstream.health.OutlierDetector;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The active health checker and the outlier detector of one load-balancer service, and the
 * cluster their verdicts refresh. A reload with the same endpoints and settings hands the whole
 * watch to the successor service (checks go on without a gap, ejections stay); otherwise the
 * successor starts its own and stops this one.
 *
 * <p>Building the successor changes nothing: the endpoints' health is shared with the configuration
 * still serving, and the snapshot being built may yet be rejected. The hand-over, or stopping this
 * watch and starting the successor's, runs on {@link LoadBalancerService.Env#onActivation}, when the
 * successor serves. Only the current owner may close a watch.
 */
final class HealthWatch {

    private final Object key;
    private final AtomicReference<Cluster> cluster;
    private volatile Object owner;
    /** Null until the watch begins, and when not configured. */
    private volatile HttpHealthChecker checker;
    private volatile OutlierDetector outliers;
    private ScheduledFuture<?> sweep;
    private volatile boolean closed;

    private HealthWatch(Object key, Object owner, Cluster cluster) {
        this.key = key;
        this.owner = owner;
        this.cluster = new AtomicReference<>(cluster);
    }

    /**
     * The watch for {@code cluster}: {@code previous} when it watches the same endpoints with the same
     * settings, else a new one. Either way it takes effect on {@code env.onActivation()}: the hand-over,
     * or stopping {@code previous} and starting the new checker and detector.
     */
    static HealthWatch start(Object owner, Cluster cluster, Optional<HealthCheckConfig> healthCheck,
                             Optional<OutlierDetectionConfig> outlierDetection, UpstreamTls tls,
                             HealthWatch previous, LoadBalancerService.Env env) {
        List<String> ids = cluster.endpoints().stream().map(Endpoint::id).sorted().toList();
        Object key = List.of(ids, healthCheck, outlierDetection, tls == null ? "" : tls.id());
        if (previous != null && !previous.closed && previous.key.equals(key)) {
            env.onActivation().accept(() -> previous.handTo(owner, cluster));
            return previous;
        }
        HealthWatch watch = new HealthWatch(key, owner, cluster);
        env.onActivation().accept(() -> {
            if (previous != null) {
                previous.stop();
            }
            watch.begin(healthCheck, outlierDetection, tls, env);
        });
        return watch;
    }

    private synchronized void handTo(Object successor, Cluster successorCluster) {
        owner = successor;
        cluster.set(successorCluster);
        successorCluster.refresh(); // verdicts given since it was built went to the predecessor's
    }

    private synchronized void begin(Optional<HealthCheckConfig> healthCheck,
                                    Optional<OutlierDetectionConfig> outlierDetection, UpstreamTls tls,
                                    LoadBalancerService.Env env) {
        if (closed) {
            return;
        }
        Cluster watched = cluster.get();
        List<Endpoint> endpoints = watched.endpoints();
        HttpHealthChecker checker = healthCheck.map(hc -> new HttpHealthChecker(convert(hc), endpoints,
                new NettyHealthProbe(tls), env.scheduler(), env.ticker(), env.random(),
                (e, healthy) -> cluster.get().refresh())).orElse(null);
        OutlierDetector outliers = outlierDetection.map(od -> new OutlierDetector(convert(od), endpoints,
                env.ticker(), () -> cluster.get().refresh())).orElse(null);
        // A verdict carried over from the previous configuration stays only while something of this
        // one can revisit it: with no active checks, or no outlier detection, nothing ever would.
        for (Endpoint e : endpoints) {
            if (checker == null) {
                e.state().activeHealthy(true);
            }
            if (outliers == null) {
                e.state().ejected(false);
            }
        }
        if (outliers != null) {
            long every = outlierDetection.get().interval().toNanos();
            sweep = env.scheduler().scheduleAtFixedRate(outliers::sweep, every, every, TimeUnit.NANOSECONDS);
        }
        this.checker = checker;
        this.outliers = outliers;
        watched.refresh();
        if (checker != null) {
            checker.start();
        }
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

    /** Closes the watch if {@code caller} owns it. */
    synchronized void close(Object caller) {
        if (Objects.equals(owner, caller)) {
            stop();
        }
    }

    private synchronized void stop() {
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
