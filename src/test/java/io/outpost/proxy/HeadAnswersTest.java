package io.outpost.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.config.Cidr;
import io.outpost.config.MiddlewareConfig;
import io.outpost.config.RequestKey;
import io.outpost.middleware.Middleware;
import io.outpost.middleware.Middlewares;
import io.outpost.service.RoundRobinService;
import io.outpost.service.Service;
import io.outpost.testing.Backend;
import io.outpost.testing.Ports;
import io.outpost.testing.ProxyHarness;
import io.outpost.testing.RawHttp;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * RFC 9110 section 9.3.2: a response to HEAD has no content, whoever writes it. Every answer the gateway
 * makes itself (no router, an upstream down or silent, middlewares refusing, a redirect, a malformed
 * request) is checked on the wire: on a kept-alive connection the next pipelined response must follow the
 * head directly, and on one the answer closes, nothing may follow the head but the end of the stream.
 */
class HeadAnswersTest {

    private static final String OK = "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n";

    private Backend backend;
    private HttpConformanceTest.RawUpstream silent;
    private ProxyHarness proxy;
    private final Queue<AccessLog.Entry> logged = new ConcurrentLinkedQueue<>();

    @BeforeEach
    void start() throws Exception {
        backend = Backend.start("b1").on("/breaker", ex -> Backend.respond(ex, 500, "boom\n"));
        silent = new HttpConformanceTest.RawUpstream((in, out) -> {
            try {
                while (in.read() >= 0) {
                    // never answers
                }
            } catch (IOException ignored) {
                // closed
            }
        });
        Service up = new RoundRobinService("up", List.of(UpstreamTarget.of(backend.url())), ForwardOptions.DEFAULTS);
        Service down = new RoundRobinService("down", List.of(UpstreamTarget.of("http://127.0.0.1:" + Ports.free())),
                ForwardOptions.DEFAULTS);
        Service slow = new RoundRobinService("slow", List.of(UpstreamTarget.of(silent.url())),
                new ForwardOptions(1000, 300, true));
        Service byPath = ex -> (ex.path().startsWith("/down") ? down : ex.path().startsWith("/slow") ? slow : up)
                .handle(ex);
        Map<String, Middleware> byPrefix = Map.of(
                "/deny", build(new MiddlewareConfig.IpAllowList(List.of(Cidr.parse("10.0.0.0/8")))),
                "/key", build(new MiddlewareConfig.ApiKey(MiddlewareConfig.ApiKey.DEFAULT_HEADER, Optional.empty(),
                        List.of(new MiddlewareConfig.ApiKeyEntry("till", "0".repeat(64))), false)),
                "/redirect", build(new MiddlewareConfig.RedirectScheme("https", OptionalInt.empty(), true)),
                "/small", build(new MiddlewareConfig.MaxBodySize(1)),
                "/rate", build(new MiddlewareConfig.RateLimit(1, Duration.ofHours(1), 1, RequestKey.CLIENT_IP, 100)),
                "/breaker", build(new MiddlewareConfig.CircuitBreaker(Optional.of(0.5), Optional.empty(), 1,
                        Duration.ofHours(1), Duration.ofHours(1), Duration.ofHours(1))));
        Middleware dispatch = (ex, next) -> {
            for (Map.Entry<String, Middleware> e : byPrefix.entrySet()) {
                if (ex.path().startsWith(e.getKey())) {
                    e.getValue().handle(ex, next);
                    return;
                }
            }
            next.proceed(ex);
        };
        proxy = new ProxyHarness(byPath, dispatch);
        proxy.context.accessLog((entry, nanos) -> logged.add(entry));
    }

    @AfterEach
    void stop() throws IOException {
        proxy.close();
        silent.close();
        backend.close();
    }

    private static Middleware build(MiddlewareConfig config) {
        return Middlewares.create("test-" + config.type(), config);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "no router | /none | 404",
        "upstream refuses the connection | /down | 502",
        "upstream never answers | /slow | 504",
        "ipAllowList | /deny | 403",
        "apiKey without a key | /key | 401",
        "redirectScheme | /redirect | 301",
        "unsupported expectation | /expect | 417",
    })
    void aLocalAnswerToHeadOnAKeptAliveConnectionIsFollowedByTheNextResponse(String name, String path, int status)
            throws Exception {
        try (RawHttp raw = new RawHttp(proxy.port())) {
            String expect = path.equals("/expect") ? "Expect: magic\r\n" : "";
            raw.send("HEAD " + path + " HTTP/1.1\r\nHost: x\r\n" + expect + "\r\n" + OK);
            assertThat(raw.readHead().status()).isEqualTo(status);
            assertNextIsTheBackendsAnswer(raw);
        }
        assertLoggedWithoutResponseBytes(status);
    }

    @Test
    void aRateLimitedHeadHasNoBody() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.port())) {
            raw.send("GET /rate HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().status()).isEqualTo(200); // the one request the bucket holds
            raw.send("HEAD /rate HTTP/1.1\r\nHost: x\r\n\r\n" + OK);
            assertThat(raw.readHead().status()).isEqualTo(429);
            assertNextIsTheBackendsAnswer(raw);
        }
        assertLoggedWithoutResponseBytes(429);
    }

    @Test
    void aHeadRefusedByAnOpenCircuitBreakerHasNoBody() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.port())) {
            raw.send("GET /breaker HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().status()).isEqualTo(500);
        }
        // The error is recorded on the event loop just after the response went out: the breaker opens then.
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            try (RawHttp raw = new RawHttp(proxy.port())) {
                return raw.send("GET /breaker HTTP/1.1\r\nHost: x\r\n\r\n").read().status() == 503;
            }
        });
        try (RawHttp raw = new RawHttp(proxy.port())) {
            raw.send("HEAD /breaker HTTP/1.1\r\nHost: x\r\n\r\n" + OK);
            assertThat(raw.readHead().status()).isEqualTo(503);
            assertNextIsTheBackendsAnswer(raw);
        }
        assertLoggedWithoutResponseBytes(503);
    }

    @Test
    void aHeadWhoseBodyIsTooLargeGets413WithNoBody() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.port())) {
            // The body is never sent: the answer comes first and the connection ends after it.
            raw.send("HEAD /small HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n");
            assertThat(raw.readHead().status()).isEqualTo(413);
            assertNothingFollowsTheHead(raw);
        }
        assertLoggedWithoutResponseBytes(413);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "TE and CL together | HEAD / HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 5\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n | 400",
        "unknown Transfer-Encoding | HEAD / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: gzip\\r\\n\\r\\n | 400",
        "missing Host | HEAD / HTTP/1.1\\r\\n\\r\\n | 400",
        "two Hosts | HEAD / HTTP/1.1\\r\\nHost: a\\r\\nHost: b\\r\\n\\r\\n | 400",
    })
    void aRefusedHeadGetsNoBody(String name, String request, int status) throws Exception {
        try (RawHttp raw = new RawHttp(proxy.port())) {
            raw.send(request.replace("\\r\\n", "\r\n") + OK);
            assertThat(raw.readHead().status()).isEqualTo(status);
            assertNothingFollowsTheHead(raw);
        }
        assertThat(backend.hits()).isZero();
        assertLoggedWithoutResponseBytes(status);
    }

    @Test
    void aHeadWithFieldsTooLargeGets431WithNoBody() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.port())) {
            raw.send("HEAD / HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(20_000) + "\r\n\r\n");
            assertThat(raw.readHead().status()).isEqualTo(431);
            assertNothingFollowsTheHead(raw);
        }
        assertLoggedWithoutResponseBytes(431);
    }

    @Test
    void aHeadWithATargetTooLongGets414WithNoBody() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.port())) {
            raw.send("HEAD /" + "a".repeat(9000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.readHead().status()).isEqualTo(414);
            assertNothingFollowsTheHead(raw);
        }
        assertLoggedWithoutResponseBytes(414);
    }

    @Test
    void aRefusedGetStillGetsItsBody() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.port())) {
            raw.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(20_000) + "\r\n\r\n");
            RawHttp.Response r = raw.read();
            assertThat(r.status()).isEqualTo(431);
            assertThat(r.body()).contains("\"status\":431");
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(logged)
                .anySatisfy(e -> assertThat(e.responseBytes()).isPositive()));
    }

    /**
     * The access log counts the body bytes a response carried: none for the local answer to a HEAD (logged
     * without a method when its request line could not be read).
     */
    private void assertLoggedWithoutResponseBytes(int status) {
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(logged)
                .filteredOn(e -> e.status() == status && !e.method().equals("GET")).singleElement()
                .satisfies(e -> assertThat(e.responseBytes()).isZero()));
    }

    private static void assertNextIsTheBackendsAnswer(RawHttp raw) throws IOException {
        RawHttp.Response next = raw.read();
        assertThat(next.status()).isEqualTo(200);
        assertThat(next.body()).isEqualTo("b1 GET /ok body=0\n");
    }

    /** The connection ends right after the head: reads to the end of the stream and expects no byte. */
    private static void assertNothingFollowsTheHead(RawHttp raw) throws IOException {
        assertThat(raw.socket().getInputStream().readAllBytes()).asString().isEmpty();
    }
}
