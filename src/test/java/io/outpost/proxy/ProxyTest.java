package io.outpost.proxy;

import io.outpost.testing.Ports;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.service.RoundRobinService;
import io.outpost.testing.Backend;
import io.outpost.testing.ProxyHarness;
import io.outpost.testing.RawHttp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ProxyTest {

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private Backend backend;
    private ProxyHarness proxy;

    @BeforeEach
    void start() throws Exception {
        backend = Backend.start("b1");
        proxy = new ProxyHarness(new RoundRobinService("svc", List.of(UpstreamTarget.of(backend.url())),
                new ForwardOptions(1000, 1000, true)));
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(proxy.url(path))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void proxiesGetAndPostOverKeepAlive() throws Exception {
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> r = get("/a/b?x=" + i);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("b1 GET /a/b?x=" + i + " body=0\n");
            assertThat(r.headers().firstValue("via")).hasValue("1.1 outpost");
        }
        HttpResponse<String> post = client.send(HttpRequest.newBuilder(URI.create(proxy.url("/p")))
                .POST(HttpRequest.BodyPublishers.ofString("hello")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.body()).isEqualTo("b1 POST /p body=5\n");
        assertThat(proxy.context.upstreamConnections()).isEqualTo(1);
    }

    @Test
    void setsForwardingHeadersAndKeepsRequestId() throws Exception {
        // By default no client is trusted (Traefik's forwardedHeaders): its X-Forwarded-* do not survive.
        client.send(HttpRequest.newBuilder(URI.create(proxy.url("/h"))).header("X-Request-Id", "abc-1")
                .header("X-Forwarded-For", "10.1.1.1").header("X-Forwarded-Host", "evil.test").build(),
                HttpResponse.BodyHandlers.ofString());
        get("/h2");
        get("/h3");
        var first = backend.requestHeaders().get(0);
        assertThat(first.get("X-request-id")).containsExactly("abc-1");
        assertThat(first.get("X-forwarded-for")).containsExactly("127.0.0.1");
        assertThat(first.get("X-forwarded-proto")).containsExactly("http");
        assertThat(first.get("X-forwarded-host")).containsExactly("127.0.0.1:" + proxy.port());
        assertThat(first.get("X-forwarded-port")).containsExactly(String.valueOf(proxy.port()));
        assertThat(first.get("X-real-ip")).containsExactly("127.0.0.1");
        assertThat(first.get("Via")).containsExactly("1.1 outpost");
        String generated = backend.requestHeaders().get(1).get("X-request-id").get(0);
        assertThat(generated).matches("[0-9a-f]{32}");
        assertThat(backend.requestHeaders().get(2).get("X-request-id").get(0)).as("a fresh id per request")
                .matches("[0-9a-f]{32}").isNotEqualTo(generated);
    }

    @Test
    void removesHopByHopHeaders() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.port())) {
            raw.send("GET /hop HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, X-Secret\r\nX-Secret: 1\r\n"
                    + "Keep-Alive: timeout=5\r\nProxy-Authorization: Basic eA==\r\nTE: trailers\r\nX-Kept: yes\r\n\r\n");
            assertThat(raw.read().status()).isEqualTo(200);
        }
        var headers = backend.requestHeaders().get(0);
        assertThat(headers).containsKey("X-kept");
        assertThat(headers).doesNotContainKeys("X-secret", "Keep-alive", "Proxy-authorization", "Te");
    }

    @Test
    void unknownRouteIs404() throws Exception {
        HttpResponse<String> r = get("/none");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).contains("\"status\":404");
    }

    /** GET {@code path} through a proxy whose one endpoint is {@code upstreamUrl}. */
    private HttpResponse<String> getThrough(String upstreamUrl, String path) throws Exception {
        try (ProxyHarness p = new ProxyHarness(new RoundRobinService("svc",
                List.of(UpstreamTarget.of(upstreamUrl)), ForwardOptions.DEFAULTS))) {
            return client.send(HttpRequest.newBuilder(URI.create(p.url(path))).build(),
                    HttpResponse.BodyHandlers.ofString());
        }
    }

    @Test
    void deadUpstreamIs502WithReason() throws Exception {
        int dead = Ports.free();
        HttpResponse<String> r = getThrough("http://127.0.0.1:" + dead, "/x");
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.body()).contains("connection refused by http://127.0.0.1:" + dead);
    }

    @Test
    void upstreamHostNameIsResolved() throws Exception {
        HttpResponse<String> r = getThrough("http://localhost:" + backend.port(), "/n");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("b1 GET /n body=0\n");
    }

    @Test
    void unresolvableUpstreamHostIs502WithReason() throws Exception {
        // .invalid never resolves (RFC 6761).
        HttpResponse<String> r = getThrough("http://upstream.invalid:8080", "/x");
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.body()).contains("cannot resolve the host of http://upstream.invalid:8080");
    }

    @Test
    void connectFailureMovesToTheNextEndpoint() throws Exception {
        int dead = Ports.free();
        try (ProxyHarness p = new ProxyHarness(new RoundRobinService("svc",
                List.of(UpstreamTarget.of("http://127.0.0.1:" + dead), UpstreamTarget.of(backend.url())),
                ForwardOptions.DEFAULTS))) {
            for (int i = 0; i < 4; i++) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(p.url("/x")))
                        .POST(HttpRequest.BodyPublishers.ofString("abc")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("b1 POST /x body=3\n");
            }
        }
    }

    @Test
    void hangingUpstreamIs504() throws Exception {
        backend.on("/hang", ex -> {
            try {
                Thread.sleep(3000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.close();
        });
        HttpResponse<String> r = get("/hang");
        assertThat(r.statusCode()).isEqualTo(504);
        assertThat(r.body()).contains("within 1000ms");
    }

    @Test
    void aShortHeaderTimeoutHoldsOnAConnectionALongerOneUsedBefore() throws Exception {
        // Two services with their own timeouts share the pooled connections to one endpoint, as two
        // routers' services do (or one service whose timeout a reload shortened).
        backend.on("/late", ex -> {
            try {
                Thread.sleep(3000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Backend.respond(ex, 200, "late");
        });
        List<UpstreamTarget> endpoint = List.of(UpstreamTarget.of(backend.url()));
        RoundRobinService patient = new RoundRobinService("patient", endpoint, new ForwardOptions(1000, 60_000, true));
        RoundRobinService hasty = new RoundRobinService("hasty", endpoint, new ForwardOptions(1000, 300, true));
        try (ProxyHarness p = new ProxyHarness(ex -> (ex.path().startsWith("/late") ? hasty : patient).handle(ex));
             RawHttp raw = new RawHttp(p.port())) {
            raw.send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().status()).isEqualTo(200);
            assertThat(p.context.upstreamConnections()).isEqualTo(1);
            long start = System.nanoTime();
            raw.send("GET /late HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Response late = raw.read();
            assertThat(late.status()).isEqualTo(504);
            assertThat(late.body()).contains("within 300ms");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(2500));
        }
    }

    @Test
    void headAnd204And304HaveNoBody() throws Exception {
        backend.on("/empty", ex -> Backend.respond(ex, 204, ""));
        backend.on("/nm", ex -> Backend.respond(ex, 304, ""));
        try (RawHttp raw = new RawHttp(proxy.port())) {
            raw.send("HEAD /x HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Response head = raw.readHead();
            assertThat(head.status()).isEqualTo(200);
            raw.send("GET /empty HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Response noContent = raw.readHead();
            assertThat(noContent.status()).isEqualTo(204);
            assertThat(noContent.headers()).doesNotContainKeys("content-length", "transfer-encoding");
            raw.send("GET /nm HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.readHead().status()).isEqualTo(304);
            // If any body bytes had leaked after those heads, this response would be misread.
            raw.send("GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Response after = raw.read();
            assertThat(after.status()).isEqualTo(200);
            assertThat(after.body()).isEqualTo("b1 GET /after body=0\n");
        }
    }

    @Test
    void chunkedRequestBodyAndPipelining() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.port())) {
            raw.send("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
                    + "GET /second HTTP/1.1\r\nHost: x\r\n\r\nGET /third HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().body()).isEqualTo("b1 POST /c body=11\n");
            assertThat(raw.read().body()).isEqualTo("b1 GET /second body=0\n");
            assertThat(raw.read().body()).isEqualTo("b1 GET /third body=0\n");
        }
    }

    @Test
    void expectContinueGets100BeforeTheBody() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.port())) {
            raw.send("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
            assertThat(raw.readHead().status()).isEqualTo(100);
            raw.send("abcd");
            assertThat(raw.read().body()).isEqualTo("b1 POST /e body=4\n");
        }
        try (RawHttp raw = new RawHttp(proxy.port())) {
            raw.send("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: teapot\r\n\r\nabcd");
            assertThat(raw.read().status()).isEqualTo(417);
        }
    }

    @Test
    void absoluteFormTargetIsRewrittenToOriginForm() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.port())) {
            raw.send("GET http://example.test/abs?q=1 HTTP/1.1\r\nHost: other\r\n\r\n");
            RawHttp.Response r = raw.read();
            assertThat(r.body()).isEqualTo("b1 GET /abs?q=1 body=0\n");
        }
    }

    @Test
    void clientDisconnectMidBodyReleasesBuffersAndUpstream() throws Exception {
        long before = proxy.activeDirectAllocations();
        backend.on("/slow-sink", ex -> {
            try {
                Backend.drain(ex.getRequestBody());
            } catch (java.io.IOException ignored) {
                // the proxy closed the upstream connection, as it should
            }
            ex.close();
        });
        try (RawHttp raw = new RawHttp(proxy.port())) {
            raw.send("POST /slow-sink HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n");
            raw.send(new byte[200_000]);
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.context.upstreamConnections() == 1);
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(proxy.context.upstreamConnections()).isZero();
            assertThat(proxy.context.inFlight()).isZero();
            assertThat(proxy.activeDirectAllocations()).isLessThanOrEqualTo(before);
        });
    }

    @Test
    void dotSegmentsAreRemovedBeforeRoutingAndForwarding() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.port())) {
            raw.send("GET /public/../none/x?q=1 HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().status()).as("routed as /none/x, which has no router").isEqualTo(404);
            raw.send("GET /a/./b/%2e%2E/c HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().body()).isEqualTo("b1 GET /a/c body=0\n");
            // Escaped unreserved characters are the characters themselves; an escaped slash is not.
            raw.send("GET /%6Eone/x HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().status()).as("routed as /none/x").isEqualTo(404);
            raw.send("GET /a%2Fb/%7Euser?q=%61 HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().body()).isEqualTo("b1 GET /a%2Fb/~user?q=%61 body=0\n");
        }
    }
}
