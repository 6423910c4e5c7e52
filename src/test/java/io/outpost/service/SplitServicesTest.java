package io.outpost.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.outpost.config.ServiceConfig;
import io.outpost.config.StickyConfig;
import io.outpost.proxy.ProxyExchange;
import io.outpost.testing.Backend;
import io.outpost.testing.ProxyHarness;
import io.outpost.upstream.FakeTicker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Weighted and mirroring services over real upstreams on loopback. */
class SplitServicesTest {

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final ScheduledExecutorService scheduler = Lb.scheduler();
    private final List<AutoCloseable> closing = new ArrayList<>();
    private final Map<String, Service> built = new HashMap<>();
    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private final AtomicReference<Service> current = new AtomicReference<>();
    private ProxyHarness proxy;

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        scheduler.shutdownNow();
    }

    /** A backend behind a one-endpoint load balancer named like it. */
    private Backend upstream(String name) throws Exception {
        Backend b = Backend.start(name);
        closing.add(b);
        LoadBalancerService lb = Lb.of(b.url()).build(name, new FakeTicker(), scheduler, null);
        closing.add(lb::close);
        built.put(name, lb);
        return b;
    }

    /** Serves whatever {@link #current} holds, as a reload would swap it. */
    private void serve(Service service) throws Exception {
        current.set(service);
        proxy = new ProxyHarness(new Service() {
            @Override
            public void handle(ProxyExchange exchange) {
                current.get().handle(exchange);
            }
        });
        closing.add(proxy);
    }

    private HttpResponse<String> send(String method, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(proxy.url("/m"))).timeout(Duration.ofSeconds(5))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private Map<String, Integer> shares(int n) throws Exception {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < n; i++) {
            counts.merge(send("GET", null).body().split(" ")[0], 1, Integer::sum);
        }
        return counts;
    }

    private WeightedService weighted(int stable, int canary, Optional<StickyConfig> sticky) {
        return new WeightedService("w", new ServiceConfig.Weighted(List.of(new ServiceConfig.WeightedService("stable", stable),
                new ServiceConfig.WeightedService("canary", canary)), sticky), built::get, 0);
    }

    @Test
    void weightedSplitIsExactAndANewWeightAppliesToTheNextRequest() throws Exception {
        upstream("stable");
        upstream("canary");
        serve(weighted(3, 1, Optional.empty()));
        assertThat(shares(40)).containsEntry("stable", 30).containsEntry("canary", 10);
        current.set(weighted(1, 1, Optional.empty()));
        assertThat(shares(10)).containsEntry("stable", 5).containsEntry("canary", 5);
    }

    @Test
    void weightedStickyCookieKeepsAClientOnItsChild() throws Exception {
        upstream("stable");
        upstream("canary");
        serve(weighted(1, 1, Optional.of(new StickyConfig(new StickyConfig.Cookie("split", true, false,
                StickyConfig.SameSite.UNSET, Optional.empty())))));
        HttpResponse<String> first = send("GET", null);
        String cookie = first.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(cookie).startsWith("split=").contains("Secure").doesNotContain("Max-Age");
        String child = first.body().split(" ")[0];
        for (int i = 0; i < 5; i++) {
            assertThat(send("GET", null, "Cookie", cookie.substring(0, cookie.indexOf(';'))).body()).startsWith(child + " ");
        }
    }

    private MirroringService mirroring(int percent, long maxBodySize) {
        return new MirroringService("mirrored", new ServiceConfig.Mirroring("main",
                List.of(new ServiceConfig.Mirror("shadow", percent)), maxBodySize), built::get, metrics);
    }

    private double counter(String outcome) {
        return metrics.get("outpost.mirror.requests").tag("outcome", outcome).counter().count();
    }

    @Test
    void aSlowMirrorNeverSlowsTheMainRequestAndLargeBodiesAreNotMirrored() throws Exception {
        upstream("main");
        Backend shadow = upstream("shadow");
        List<Long> shadowBodies = new java.util.concurrent.CopyOnWriteArrayList<>();
        shadow.on("/m", ex -> {
            shadowBodies.add(Backend.drain(ex.getRequestBody()));
            try {
                Thread.sleep(2_000); // the mirror is slow; the client must not notice
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Backend.respond(ex, 200, "late\n");
        });
        serve(mirroring(100, 100));
        long start = System.nanoTime();
        for (int i = 0; i < 5; i++) {
            assertThat(send("POST", "0123456789").body()).isEqualTo("main POST /m body=10\n");
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(1500));
        await().atMost(Duration.ofSeconds(3)).until(() -> shadowBodies.size() == 5);
        assertThat(shadowBodies).containsOnly(10L);
        assertThat(counter("mirrored")).isEqualTo(5);

        assertThat(send("POST", "x".repeat(200)).body()).isEqualTo("main POST /m body=200\n");
        assertThat(counter("dropped")).isEqualTo(1);
        assertThat(counter("mirrored")).isEqualTo(5);
    }

    @Test
    void tenPercentMirrorsExactlyOneRequestInTen() throws Exception {
        upstream("main");
        Backend shadow = upstream("shadow");
        serve(mirroring(10, 1000));
        for (int i = 0; i < 30; i++) {
            assertThat(send("GET", null).statusCode()).isEqualTo(200);
        }
        assertThat(counter("mirrored")).isEqualTo(3);
        await().atMost(Duration.ofSeconds(3)).until(() -> shadow.hits() == 3);
    }
}
