package io.outpost.service;

import io.outpost.testing.Ports;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.config.CircuitBreakersConfig;
import io.outpost.config.LoadBalancerPolicy;
import io.outpost.config.OutlierDetectionConfig;
import io.outpost.config.RequestKey;
import io.outpost.config.RetryConfig;
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
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A load-balancer service behind the real proxy, with real upstreams on loopback killed and revived. */
class LoadBalancerServiceTest {

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final ScheduledExecutorService scheduler = Lb.scheduler();
    private final FakeTicker ticker = new FakeTicker();
    private final List<AutoCloseable> closing = new ArrayList<>();
    private ProxyHarness proxy;

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

    private LoadBalancerService serve(LoadBalancerService service) throws Exception {
        proxy = new ProxyHarness(service);
        closing.add(proxy);
        closing.add(service::close);
        return service;
    }

    private HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(proxy.url(path))).timeout(Duration.ofSeconds(5));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Who answered each of {@code n} requests: backend name to count. */
    private Map<String, Integer> shares(int n) throws Exception {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < n; i++) {
            HttpResponse<String> r = get("/s");
            assertThat(r.statusCode()).isEqualTo(200);
            counts.merge(r.body().split(" ")[0], 1, Integer::sum);
        }
        return counts;
    }

    private static int deadPort() {
        return Ports.free();
    }

    @Test
    void halfOfP0DownSplits70To30AndRevivalRestoresP0() throws Exception {
        Backend a = backend("a");
        Backend b = backend("b");
        Backend c = backend("c");
        LoadBalancerService lb = serve(Lb.of().endpoint(a.url(), 0).endpoint(b.url(), 0).endpoint(c.url(), 1)
                .healthChecked().build("web", ticker, scheduler, null));
        assertThat(lb.cluster().priorityLoad().loads()).containsExactly(100, 0);
        assertThat(shares(40)).containsOnlyKeys("a", "b");

        int port = b.port();
        b.close();
        await().atMost(Duration.ofSeconds(3)).until(() -> lb.cluster().priorityLoad().load(0) == 70);
        assertThat(lb.cluster().priorityLoad().loads()).containsExactly(70, 30);
        Map<String, Integer> split = shares(400);
        assertThat(split).containsOnlyKeys("a", "c");
        assertThat(split.get("a")).isBetween(400 * 62 / 100, 400 * 78 / 100);

        Backend revived = Backend.start("b2", port);
        closing.add(revived);
        await().atMost(Duration.ofSeconds(3)).until(() -> lb.cluster().priorityLoad().load(0) == 100);
        assertThat(shares(40)).containsOnlyKeys("a", "b2");

        @SuppressWarnings("unchecked")
        List<Map<String, Object>> eps = (List<Map<String, Object>>) lb.describe().get("endpoints");
        assertThat(eps).extracting(e -> e.get("priority")).containsExactly(0, 0, 1);
        assertThat(eps.get(1)).containsEntry("healthy", true);
        // b2 answers its checks: the connection errors that took b down no longer describe it.
        Map<?, ?> active = (Map<?, ?>) eps.get(1).get("activeHealth");
        assertThat(active.get("state")).isEqualTo("healthy");
        assertThat(active.get("lastError")).isNull();
    }

    @Test
    void everyEndpointDownWithPanicDisabledAnswers503NoHealthyUpstream() throws Exception {
        Backend a = backend("a");
        Lb config = Lb.of(a.url()).healthChecked();
        config.panicThreshold = 0;
        LoadBalancerService lb = serve(config.build("web", ticker, scheduler, null));
        a.close();
        await().atMost(Duration.ofSeconds(3)).until(() -> !lb.cluster().endpoints().get(0).healthy());
        HttpResponse<String> r = get("/s");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).contains("no healthy upstream");
    }

    @Test
    void aDeadEndpointIsRetriedElsewhereForEveryMethod() throws Exception {
        Backend a = backend("a");
        LoadBalancerService lb = serve(Lb.of(a.url(), "http://127.0.0.1:" + deadPort())
                .build("web", ticker, scheduler, null));
        for (int i = 0; i < 10; i++) {
            assertThat(get("/s").body()).startsWith("a GET /s");
            HttpResponse<String> post = client.send(HttpRequest.newBuilder(URI.create(proxy.url("/p")))
                    .POST(HttpRequest.BodyPublishers.ofString("0123456789")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(post.body()).isEqualTo("a POST /p body=10\n");
        }
        // The last attempt ends on the event loop just after its response was flushed.
        await().atMost(Duration.ofSeconds(2)).until(() -> lb.cluster().endpoints().stream()
                .allMatch(e -> e.state().activeRequests() == 0) && lb.cluster().retryBudget().activeRetries() == 0);
    }

    @Test
    void ringHashKeepsEachUserOnOneEndpoint() throws Exception {
        Backend a = backend("a");
        Backend b = backend("b");
        Backend c = backend("c");
        Lb config = Lb.of(a.url(), b.url(), c.url());
        config.policy = LoadBalancerPolicy.RING_HASH;
        config.hashOn = Optional.of(new RequestKey(RequestKey.Source.HEADER, "X-User"));
        serve(config.build("web", ticker, scheduler, null));
        Set<String> used = new java.util.HashSet<>();
        for (int user = 0; user < 30; user++) {
            Set<String> seen = new java.util.HashSet<>();
            for (int i = 0; i < 4; i++) {
                seen.add(get("/s", "X-User", "user-" + user).body().split(" ")[0]);
            }
            assertThat(seen).as("user-" + user).hasSize(1);
            used.addAll(seen);
        }
        assertThat(used).hasSizeGreaterThan(1);
    }

    @Test
    void consecutive5xxEjectAnEndpointUntilItsTimeIsOver() throws Exception {
        Backend bad = backend("bad").on("/s", ex -> Backend.respond(ex, 500, "bad\n"));
        Backend good = backend("good");
        Lb config = Lb.of(bad.url(), good.url());
        config.outliers = Optional.of(new OutlierDetectionConfig(3, 3, Duration.ofHours(1), Duration.ofSeconds(30), 50));
        LoadBalancerService lb = serve(config.build("web", ticker, scheduler, null));
        int errors = 0;
        for (int i = 0; i < 6; i++) {
            errors += get("/s").statusCode() == 500 ? 1 : 0;
        }
        assertThat(errors).isEqualTo(3);
        assertThat(lb.cluster().endpoints().get(0).state().ejected()).isTrue();
        assertThat(shares(10)).containsOnlyKeys("good");
        @SuppressWarnings("unchecked")
        Map<String, Object> shown = ((List<Map<String, Object>>) lb.describe().get("endpoints")).get(0);
        assertThat(shown).containsEntry("ejected", true).containsKey("ejectedUntil");

        ticker.advance(Duration.ofSeconds(29));
        lb.sweepOutliers();
        assertThat(lb.cluster().endpoints().get(0).state().ejected()).isTrue();
        ticker.advance(Duration.ofSeconds(1));
        lb.sweepOutliers();
        assertThat(lb.cluster().endpoints().get(0).state().ejected()).isFalse();
        assertThat(get("/s").statusCode() == 500 || get("/s").statusCode() == 500).isTrue();
    }

    /** A backend whose {@code /slow} answers only once {@code release} opens (at most 5 s). */
    private Backend heldUntil(CountDownLatch release) throws Exception {
        return backend("slow").on("/slow", ex -> {
            try {
                release.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Backend.respond(ex, 200, "done\n");
        });
    }

    @Test
    void overMaxRequestsAnswers503WithRetryAfterAtOnce() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Backend slow = heldUntil(release);
        Lb config = Lb.of(slow.url());
        config.limits = new CircuitBreakersConfig(1024, 1024, 1, 3);
        LoadBalancerService lb = serve(config.build("web", ticker, scheduler, null));
        CompletableFuture<HttpResponse<String>> first = client.sendAsync(
                HttpRequest.newBuilder(URI.create(proxy.url("/slow"))).build(), HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(3)).until(() -> slow.hits() == 1);
        long start = System.nanoTime();
        HttpResponse<String> second = get("/s");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
        assertThat(second.statusCode()).isEqualTo(503);
        assertThat(second.headers().firstValue("Retry-After")).hasValue("1");
        release.countDown();
        assertThat(first.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(3)).until(() -> lb.cluster().limits().requests().used() == 0);
        assertThat(get("/s").statusCode()).isEqualTo(200);
    }

    @Test
    void overMaxConnectionsAnswers503AndAPooledConnectionIsStillUsed() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Backend slow = heldUntil(release);
        Lb config = Lb.of(slow.url());
        config.limits = new CircuitBreakersConfig(1, 1024, 1024, 3);
        LoadBalancerService lb = serve(config.build("web", ticker, scheduler, null));
        CompletableFuture<HttpResponse<String>> first = client.sendAsync(
                HttpRequest.newBuilder(URI.create(proxy.url("/slow"))).build(), HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(3)).until(() -> slow.hits() == 1);
        // The one allowed connection is busy: a second request would need another one.
        HttpResponse<String> second = get("/s");
        assertThat(second.statusCode()).isEqualTo(503);
        assertThat(second.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(second.body()).contains("limit of upstream connections");
        assertThat(lb.cluster().limits().connections().used()).isEqualTo(1);
        release.countDown();
        assertThat(first.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        // Back in the pool, the connection serves the next request without a new connect.
        assertThat(get("/s").statusCode()).isEqualTo(200);
        assertThat(lb.cluster().limits().connections().used()).isEqualTo(1);
        assertThat(lb.cluster().limits().pendingRequests().used()).isZero();
    }

    @Test
    void aPooledConnectionClosesAfterTheServicesIdleTimeout() throws Exception {
        Backend b = backend("b1");
        Lb config = Lb.of(b.url());
        config.idle = Duration.ofMillis(300);
        LoadBalancerService lb = serve(config.build("web", ticker, scheduler, null));
        assertThat(get("/s").statusCode()).isEqualTo(200);
        assertThat(get("/s").statusCode()).isEqualTo(200);
        assertThat(lb.cluster().limits().connections().used()).as("one connection, pooled and reused").isEqualTo(1);
        // The pool's own default is 90 s: only the service's timeouts.idle closes it this soon.
        await().atMost(Duration.ofSeconds(5)).until(() -> lb.cluster().limits().connections().used() == 0);
        assertThat(get("/s").statusCode()).isEqualTo(200);
        assertThat(b.hits()).isEqualTo(3);
    }

    @Test
    void optIn5xxRetriesIdempotentMethodsOnly() throws Exception {
        Backend bad = backend("bad").on("/r", ex -> {
            Backend.drain(ex.getRequestBody());
            Backend.respond(ex, 500, "bad\n");
        });
        Backend good = backend("good");
        Lb config = Lb.of(bad.url(), good.url());
        config.retry = Optional.of(new RetryConfig(2, Set.of(RetryConfig.On.FIVE_XX), Optional.empty(),
                new RetryConfig.Backoff(Duration.ofMillis(1), Duration.ofMillis(2)), RetryConfig.DEFAULT_METHODS));
        serve(config.build("web", ticker, scheduler, null));
        for (int i = 0; i < 6; i++) {
            assertThat(get("/r").body()).startsWith("good GET /r");
        }
        int failures = 0;
        for (int i = 0; i < 6; i++) {
            HttpResponse<String> post = client.send(HttpRequest.newBuilder(URI.create(proxy.url("/r")))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            failures += post.statusCode() == 500 ? 1 : 0;
        }
        assertThat(failures).isEqualTo(3);
    }

    @Test
    void stickyCookiePinsAndIsRewrittenWhenThePinnedEndpointDies() throws Exception {
        Backend a = backend("a");
        Backend b = backend("b");
        serve(Lb.of(a.url(), b.url()).sticky("pin").build("web", ticker, scheduler, null));
        HttpResponse<String> first = get("/s");
        String cookie = first.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(cookie).startsWith("pin=").contains("Max-Age=3600", "HttpOnly", "SameSite=Lax");
        String pinnedTo = first.body().split(" ")[0];
        String pair = cookie.substring(0, cookie.indexOf(';'));
        for (int i = 0; i < 6; i++) {
            HttpResponse<String> r = get("/s", "Cookie", pair);
            assertThat(r.body()).startsWith(pinnedTo + " ");
            assertThat(r.headers().firstValue("Set-Cookie")).isEmpty();
        }
        (pinnedTo.equals("a") ? a : b).close();
        HttpResponse<String> moved = get("/s", "Cookie", pair);
        assertThat(moved.statusCode()).isEqualTo(200);
        assertThat(moved.body()).doesNotStartWith(pinnedTo + " ");
        String rewritten = moved.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(rewritten).startsWith("pin=").isNotEqualTo(cookie);
    }

    @Test
    void aReloadKeepsHealthAndHandsOverTheChecker() throws Exception {
        Backend a = backend("a");
        Backend b = backend("b");
        LoadBalancerService first = serve(Lb.of(a.url(), b.url()).healthChecked().build("web", ticker, scheduler, null));
        b.close();
        await().atMost(Duration.ofSeconds(3)).until(() -> !first.cluster().endpoints().get(1).healthy());
        LoadBalancerService second = Lb.of(a.url(), b.url()).healthChecked().build("web", ticker, scheduler, first);
        closing.add(second::close);
        assertThat(second.cluster().endpoints().get(1).healthy()).isFalse();
        first.close(); // the old snapshot retires; the checker now belongs to the successor
        Backend revived = Backend.start("b2", b.port());
        closing.add(revived);
        await().atMost(Duration.ofSeconds(3)).until(() -> second.cluster().endpoints().get(1).healthy());
        assertThat(second.cluster().priorityLoad().loads()).containsExactly(100);
    }
}
