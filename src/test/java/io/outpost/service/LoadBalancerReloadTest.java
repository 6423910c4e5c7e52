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

        // The new snapshot takes the service over, then another part of it fails: it is closed.
        LoadBalancerService rejected = Lb.of(a.url(), b.url()).healthChecked().build("web", ticker, scheduler, running);
        rejected.close();

        b.close();
        await().atMost(Duration.ofSeconds(3)).until(() -> !running.cluster().endpoints().get(1).healthy());
        assertThat(running.cluster().priorityLoad().loads()).containsExactly(100);
    }
}
