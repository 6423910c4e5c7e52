package io.outpost.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.config.OutlierDetectionConfig;
import io.outpost.testing.Backend;
import io.outpost.testing.ProxyHarness;
import io.outpost.upstream.Endpoint;
import io.outpost.upstream.FakeTicker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a configuration reload does to the live health of a load-balancer service: verdicts that
 * no checker or detector of the new configuration will ever revisit must not outlive the reload,
 * and a reload that is rejected must leave the running configuration's checks running.
 */
class LoadBalancerReloadTest {

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final ScheduledExecutorService scheduler = Lb.scheduler();
    private final FakeTicker ticker = new FakeTicker();
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        scheduler.shutdownNow();
    }

    private Backend backend(String name) throws Exception {
        Backend b = Backend.start(name);
        closing.add(b);
        return b;
    }

    private LoadBalancerService build(Lb config, LoadBalancerService previous) {
        LoadBalancerService s = config.build("web", ticker, scheduler, previous);
        closing.add(s::close);
        return s;
    }

    /**
     * Builds {@code config} as the new snapshot's service, then fails the snapshot (a later part of it
     * did not build): the service is closed and its activation never runs.
     */
    private void reject(Lb config, LoadBalancerService running) {
        LoadBalancerService rejected = config.build("web", ticker, scheduler, running, action -> { });
        rejected.close();
    }

    private ProxyHarness serve(LoadBalancerService service) throws Exception {
        ProxyHarness proxy = new ProxyHarness(service);
        closing.add(proxy);
        return proxy;
    }

    private static Optional<OutlierDetectionConfig> ejectOn(int consecutive5xx) {
        return Optional.of(new OutlierDetectionConfig(consecutive5xx, consecutive5xx, Duration.ofHours(1),
                Duration.ofSeconds(30), 100));
    }

    @Test
    void aReloadWithoutHealthChecksReturnsAnEndpointTheCheckerHadMarkedDown() throws Exception {
        Backend a = backend("a");
        Backend b = backend("b");
        LoadBalancerService first = build(Lb.of(a.url(), b.url()).healthChecked(), null);
        int port = b.port();
        b.close();
        await().atMost(Duration.ofSeconds(3)).until(() -> !first.cluster().endpoints().get(1).healthy());
        closing.add(Backend.start("b2", port));

        // Health checking is switched off: nothing will ever check b again.
        LoadBalancerService second = build(Lb.of(a.url(), "http://127.0.0.1:" + port), first);
        first.close();

        assertThat(second.cluster().endpoints().get(1).healthy()).isTrue();
        assertThat(second.cluster().priorityLoad().panic(0)).isFalse();
    }

    @Test
    void aReloadWithoutOutlierDetectionReturnsAnEjectedEndpoint() throws Exception {
        Backend bad = backend("bad").on("/s", ex -> Backend.respond(ex, 500, "bad\n"));
        Backend good = backend("good");
        Lb config = Lb.of(bad.url(), good.url());
        config.outliers = ejectOn(1);
        LoadBalancerService first = build(config, null);
        ProxyHarness proxy = serve(first);
        for (int i = 0; i < 2; i++) {
            client.send(HttpRequest.newBuilder(URI.create(proxy.url("/s"))).build(), HttpResponse.BodyHandlers.ofString());
        }
        assertThat(first.cluster().endpoints().get(0).state().ejected()).isTrue();

        // Outlier detection is switched off: no sweep will ever return the endpoint.
        LoadBalancerService second = build(Lb.of(bad.url(), good.url()), first);
        first.close();
        ticker.advance(Duration.ofHours(2));
        second.sweepOutliers();

        assertThat(second.cluster().endpoints().get(0).healthy()).isTrue();
    }

    @Test
    void anEjectionCausedByARequestOfTheReplacedConfigurationEndsLikeAnyOther() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Backend bad = backend("bad").on("/slow", ex -> {
            try {
                release.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Backend.respond(ex, 500, "bad\n");
        });
        Backend good = backend("good");
        Lb config = Lb.of(bad.url());
        config.outliers = ejectOn(1);
        LoadBalancerService first = build(config, null);
        ProxyHarness proxy = serve(first);
        CompletableFuture<HttpResponse<String>> inFlight = client.sendAsync(
                HttpRequest.newBuilder(URI.create(proxy.url("/slow"))).build(), HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(3)).until(() -> bad.hits() == 1);

        // A reload adds an endpoint while the request is in flight; the request ends on the old one.
        Lb reloaded = Lb.of(bad.url(), good.url());
        reloaded.outliers = ejectOn(1);
        LoadBalancerService second = build(reloaded, first);
        release.countDown();
        assertThat(inFlight.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(500);
        first.close();

        Endpoint e = second.cluster().endpoints().get(0);
        ticker.advance(Duration.ofHours(2));
        second.sweepOutliers();
        assertThat(e.state().ejected()).as("ejected long after any ejection time").isFalse();
    }

    @Test
    void aRejectedReloadLeavesTheRunningHealthChecksRunning() throws Exception {
        Backend a = backend("a");
        Backend b = backend("b");
        LoadBalancerService running = build(Lb.of(a.url(), b.url()).healthChecked(), null);

        // Same settings: the new service would take the watch over, but its snapshot is rejected.
        reject(Lb.of(a.url(), b.url()).healthChecked(), running);

        b.close();
        await().atMost(Duration.ofSeconds(3)).until(() -> !running.cluster().endpoints().get(1).healthy());
        assertThat(running.cluster().priorityLoad().loads()).containsExactly(100);
    }

    @Test
    void aRejectedReloadWithOtherCheckSettingsLeavesTheRunningHealthChecksRunning() throws Exception {
        Backend a = backend("a");
        Backend b = backend("b");
        LoadBalancerService running = build(Lb.of(a.url(), b.url()).healthChecked(), null);

        // Other settings: the new service would start checks of its own and stop these.
        reject(Lb.of(a.url(), b.url()).healthChecked("/ready"), running);

        b.close();
        await().atMost(Duration.ofSeconds(3)).until(() -> !running.cluster().endpoints().get(1).healthy());
        assertThat(running.cluster().priorityLoad().loads()).containsExactly(100);
    }

    @Test
    void aRejectedReloadWithoutHealthChecksKeepsTheRunningVerdicts() throws Exception {
        Backend a = backend("a");
        Backend b = backend("b");
        LoadBalancerService running = build(Lb.of(a.url(), b.url()).healthChecked(), null);
        int port = b.port();
        b.close();
        await().atMost(Duration.ofSeconds(3)).until(() -> !running.cluster().endpoints().get(1).healthy());

        // A configuration without checks would return b; it is rejected, so b stays down.
        reject(Lb.of(a.url(), b.url()), running);
        assertThat(running.cluster().endpoints().get(1).healthy()).isFalse();

        // And the running checks still decide: b comes back when it answers again.
        closing.add(Backend.start("b2", port));
        await().atMost(Duration.ofSeconds(3)).until(() -> running.cluster().endpoints().get(1).healthy());
    }

    @Test
    void aRejectedReloadWithOtherOutlierSettingsKeepsTheRunningEjections() throws Exception {
        Backend bad = backend("bad").on("/s", ex -> Backend.respond(ex, 500, "bad\n"));
        Backend good = backend("good");
        Lb config = Lb.of(bad.url(), good.url());
        config.outliers = ejectOn(1);
        LoadBalancerService running = build(config, null);
        ProxyHarness proxy = serve(running);
        for (int i = 0; i < 2; i++) {
            client.send(HttpRequest.newBuilder(URI.create(proxy.url("/s"))).build(), HttpResponse.BodyHandlers.ofString());
        }
        Endpoint ejected = running.cluster().endpoints().get(0);
        assertThat(ejected.state().ejected()).isTrue();

        Lb other = Lb.of(bad.url(), good.url());
        other.outliers = ejectOn(2);
        reject(other, running);
        assertThat(ejected.state().ejected()).isTrue();

        // The running detector still returns it when its ejection time is over.
        ticker.advance(Duration.ofHours(2));
        running.sweepOutliers();
        assertThat(ejected.state().ejected()).isFalse();
    }

    @Test
    void anAcceptedReloadWithOtherCheckSettingsStopsTheOldChecksWhenItIsActivated() throws Exception {
        AtomicInteger oldChecks = new AtomicInteger();
        AtomicInteger newChecks = new AtomicInteger();
        Backend a = backend("a")
                .on("/health", ex -> {
                    oldChecks.incrementAndGet();
                    Backend.respond(ex, 200, "ok\n");
                })
                .on("/ready", ex -> {
                    newChecks.incrementAndGet();
                    Backend.respond(ex, 200, "ok\n");
                });
        LoadBalancerService first = build(Lb.of(a.url()).healthChecked(), null);
        await().atMost(Duration.ofSeconds(3)).until(() -> oldChecks.get() >= 1);

        List<Runnable> activation = new ArrayList<>();
        LoadBalancerService second = Lb.of(a.url()).healthChecked("/ready").build("web", ticker, scheduler, first,
                activation::add);
        closing.add(second::close);
        // Built but not swapped in yet: only the running configuration checks.
        int built = oldChecks.get();
        await().atMost(Duration.ofSeconds(3)).until(() -> oldChecks.get() >= built + 3);
        assertThat(newChecks.get()).isZero();

        activation.forEach(Runnable::run);
        int stopped = oldChecks.get();
        await().atMost(Duration.ofSeconds(3)).until(() -> newChecks.get() >= 5);
        // At most the one check that was in flight when the old checker stopped.
        assertThat(oldChecks.get()).isLessThanOrEqualTo(stopped + 1);
        first.close();
        assertThat(second.cluster().endpoints().get(0).healthy()).isTrue();
    }
}
