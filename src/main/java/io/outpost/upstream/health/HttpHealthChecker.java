package io.outpost.upstream.health;

import io.outpost.upstream.Endpoint;
import io.outpost.upstream.Ticker;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Active HTTP health checks for a set of endpoints. Every endpoint has its own chain of checks:
 * a check is sent by a {@link HealthProbe}, and the next one is scheduled only when it
 * has completed or timed out, so a hanging endpoint delays nobody's checks but its own and never
 * has more than one check in flight. Verdicts go to {@link Endpoint#state()} and to the listener
 * (typically {@code cluster::refresh}); changes are logged at INFO.
 *
 * <pre>{@code
 * HttpHealthChecker checker = new HttpHealthChecker(config, cluster.endpoints(), new NettyHealthProbe(null),
 *         scheduler, Ticker.system(), ThreadLocalRandom.current(), (e, healthy) -> cluster.refresh());
 * checker.start();
 * ...
 * checker.close();
 * }</pre>
 */
public final class HttpHealthChecker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HttpHealthChecker.class);

    /** Told when an endpoint's verdict changes. */
    @FunctionalInterface
    public interface Listener {
        void onChange(Endpoint endpoint, boolean healthy);
    }

    private final HealthCheckConfig config;
    private final HealthProbe probe;
    private final ScheduledExecutorService scheduler;
    private final Ticker ticker;
    private final RandomGenerator random;
    private final Listener listener;
    private final Map<Endpoint, HealthCheckState> states = new LinkedHashMap<>();
    private volatile boolean closed;

    public HttpHealthChecker(HealthCheckConfig config, List<Endpoint> endpoints, HealthProbe probe,
            ScheduledExecutorService scheduler, Ticker ticker, RandomGenerator random, Listener listener) {
        this.config = Objects.requireNonNull(config, "config");
        this.probe = Objects.requireNonNull(probe, "probe");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.random = Objects.requireNonNull(random, "random");
        this.listener = Objects.requireNonNull(listener, "listener");
        long now = ticker.nanos();
        for (Endpoint e : endpoints) {
            states.put(e, new HealthCheckState(config.unhealthyThreshold(), config.healthyThreshold(),
                    e.state().activeHealthy(), now));
        }
    }

    /** Schedules each endpoint's first check within the jitter part of one interval. */
    public void start() {
        long jitterNanos = (long) (config.interval().toNanos() * config.jitter());
        for (Endpoint e : states.keySet()) {
            schedule(e, jitterNanos > 0 ? random.nextLong(jitterNanos) : 0);
        }
    }

    /**
     * The verdict state of one endpoint, or {@code null} if this checker does not check it. An endpoint is
     * known by its address: a reload that only changes its weight or priority keeps this checker (and the
     * endpoint's state) but hands the cluster a reconfigured copy, which must find the same verdict.
     */
    public HealthCheckState state(Endpoint endpoint) {
        HealthCheckState state = states.get(endpoint);
        if (state != null) {
            return state;
        }
        for (Map.Entry<Endpoint, HealthCheckState> e : states.entrySet()) {
            if (e.getKey().id().equals(endpoint.id())) {
                return e.getValue();
            }
        }
        return null;
    }

    /** Stops scheduling checks; checks in flight complete and are ignored. */
    @Override
    public void close() {
        closed = true;
    }

    private void schedule(Endpoint e, long delayNanos) {
        if (closed) {
            return;
        }
        scheduler.schedule(() -> check(e), delayNanos, TimeUnit.NANOSECONDS);
    }

    private void check(Endpoint e) {
        if (closed) {
            return;
        }
        CompletableFuture<Integer> status = new CompletableFuture<>();
        try {
            probe.get(e, config.path(), config.timeout()).whenComplete((code, error) -> {
                if (error != null) {
                    status.completeExceptionally(error);
                } else {
                    status.complete(code);
                }
            });
        } catch (RuntimeException ex) {
            status.completeExceptionally(ex);
        }
        // The probe bounds its own wait; this guard holds even if a probe never answers.
        var guard = scheduler.schedule(() -> status.completeExceptionally(new TimeoutException()),
                config.timeout().toNanos(), TimeUnit.NANOSECONDS);
        status.whenComplete((code, error) -> {
            guard.cancel(false);
            record(e, code, error);
            schedule(e, nextDelayNanos());
        });
    }

    private void record(Endpoint e, Integer code, Throwable error) {
        HealthCheckState state = states.get(e);
        long now = ticker.nanos();
        HealthCheckState.Transition t;
        if (error == null && config.expected(code)) {
            t = state.onSuccess(now);
        } else {
            t = state.onFailure(now, error == null ? "status " + code : describe(error));
        }
        if (t == HealthCheckState.Transition.CHANGED && !closed) {
            boolean healthy = state.healthy();
            e.state().activeHealthy(healthy);
            if (healthy) {
                log.info("health check: {} is healthy again", e.id());
            } else {
                log.info("health check: {} is unhealthy: {}", e.id(), state.lastError());
            }
            listener.onChange(e, healthy);
        }
    }

    private long nextDelayNanos() {
        long interval = config.interval().toNanos();
        long jitter = (long) (interval * config.jitter());
        return interval + (jitter > 0 ? random.nextLong(jitter) : 0);
    }

    private static String describe(Throwable error) {
        Throwable t = error;
        while (t.getCause() != null && (t instanceof java.util.concurrent.CompletionException
                || t instanceof java.util.concurrent.ExecutionException)) {
            t = t.getCause();
        }
        if (t instanceof TimeoutException) {
            return "timeout";
        }
        String message = t.getMessage();
        return t.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
