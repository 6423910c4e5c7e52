package io.outpost.service;

import io.outpost.config.CircuitBreakersConfig;
import io.outpost.config.EndpointConfig;
import io.outpost.config.HealthCheckConfig;
import io.outpost.config.LoadBalancerPolicy;
import io.outpost.config.OutlierDetectionConfig;
import io.outpost.config.RequestKey;
import io.outpost.config.RetryConfig;
import io.outpost.config.ServiceConfig;
import io.outpost.config.StatusRange;
import io.outpost.config.StickyConfig;
import io.outpost.config.TimeoutsConfig;
import io.outpost.config.UpstreamUrl;
import io.outpost.upstream.FakeTicker;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;

/** Builds load-balancer configurations for tests, with every default of the file format. */
final class Lb {

    final List<EndpointConfig> endpoints = new ArrayList<>();
    LoadBalancerPolicy policy = LoadBalancerPolicy.ROUND_ROBIN;
    Optional<RequestKey> hashOn = Optional.empty();
    int panicThreshold = 50;
    Optional<HealthCheckConfig> healthCheck = Optional.empty();
    Optional<OutlierDetectionConfig> outliers = Optional.empty();
    Optional<RetryConfig> retry = Optional.empty();
    CircuitBreakersConfig limits = CircuitBreakersConfig.DEFAULT;
    Optional<StickyConfig> sticky = Optional.empty();
    Duration idle = Duration.ofSeconds(30);

    static Lb of(String... urls) {
        Lb lb = new Lb();
        for (String u : urls) {
            lb.endpoint(u, 0);
        }
        return lb;
    }

    Lb endpoint(String url, int priority) {
        endpoints.add(new EndpointConfig(UpstreamUrl.parse(url), priority, 1));
        return this;
    }

    /** GET /health every 30 ms, no jitter, one failure or success flips. */
    Lb healthChecked() {
        return healthChecked("/health");
    }

    /** GET {@code path} every 30 ms, no jitter, one failure or success flips. */
    Lb healthChecked(String path) {
        healthCheck = Optional.of(new HealthCheckConfig(path, Duration.ofMillis(30), Duration.ofMillis(200),
                Duration.ZERO, StatusRange.DEFAULT, 1, 1));
        return this;
    }

    Lb sticky(String cookie) {
        sticky = Optional.of(new StickyConfig(new StickyConfig.Cookie(cookie, false, true, StickyConfig.SameSite.LAX,
                Optional.of(Duration.ofHours(1)))));
        return this;
    }

    ServiceConfig.LoadBalancer config() {
        return new ServiceConfig.LoadBalancer(policy, hashOn, 1.4, panicThreshold, endpoints, healthCheck, outliers,
                retry, limits, sticky, new TimeoutsConfig(Duration.ofSeconds(1), Duration.ofSeconds(5),
                idle), true);
    }

    /** A service with a fake ticker and seeded randomness, serving (and taking over from {@code previous}) at once. */
    LoadBalancerService build(String name, FakeTicker ticker, ScheduledExecutorService scheduler,
                              LoadBalancerService previous) {
        return build(name, ticker, scheduler, previous, Runnable::run);
    }

    /**
     * A service whose activation (taking over from {@code previous}, starting its checks) goes to
     * {@code onActivation}, as a gateway snapshot's does: run it to accept the reload, drop it to reject.
     */
    LoadBalancerService build(String name, FakeTicker ticker, ScheduledExecutorService scheduler,
                              LoadBalancerService previous, Consumer<Runnable> onActivation) {
        return LoadBalancerService.create(name, config(), null,
                new LoadBalancerService.Env(scheduler, ticker, new Random(42), Clock.systemUTC(), onActivation),
                previous);
    }

    static ScheduledExecutorService scheduler() {
        return Executors.newScheduledThreadPool(1, r -> {
            Thread t = new Thread(r, "test-scheduler");
            t.setDaemon(true);
            return t;
        });
    }
}
