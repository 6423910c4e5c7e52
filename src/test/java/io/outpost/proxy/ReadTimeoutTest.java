package io.outpost.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.PooledByteBufAllocator;
import io.outpost.middleware.Middleware;
import io.outpost.service.RoundRobinService;
import io.outpost.testing.Backend;
import io.outpost.testing.RawHttp;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An entry point's read timeout bounds reading a whole request, head and body, from its first byte;
 * the idle timeout (a minute here, never reached) has no part in these answers.
 */
class ReadTimeoutTest {

    private static final Duration READ_TIMEOUT = Duration.ofMillis(400);
    private static final Middleware BUFFERING = (ex, next) -> {
        ex.bufferRequestBody(1 << 20);
        next.proceed(ex);
    };

    private Backend backend;
    private GatewayContext context;
    private ProxyServer server;
    private ScheduledExecutorService drip;

    @BeforeEach
    void start() throws Exception {
        backend = Backend.start("b1");
        drip = Executors.newSingleThreadScheduledExecutor();
    }

    @AfterEach
    void stop() {
        drip.shutdownNow();
        if (server != null) {
            server.shutdown(Duration.ZERO, System::nanoTime);
        }
        backend.close();
    }

    private int proxy(Middleware... middlewares) throws InterruptedException {
        context = new GatewayContext(Transport.best(), new PooledByteBufAllocator(true), System::nanoTime, 60_000);
        RoundRobinService service = new RoundRobinService("svc", List.of(UpstreamTarget.of(backend.url())),
                ForwardOptions.DEFAULTS);
        io.outpost.middleware.Next chain = ex -> service.handle((ProxyExchange) ex);
        for (int i = middlewares.length - 1; i >= 0; i--) {
            Middleware m = middlewares[i];
            io.outpost.middleware.Next rest = chain;
            chain = ex -> m.handle(ex, rest);
        }
        RouteTarget target = new RouteTarget("all", "svc", chain);
        context.routing((ep, ex) -> target);
        server = new ProxyServer(context, Transport.best(), 1, List.of(
                new EntryPoint("web", new InetSocketAddress("127.0.0.1", 0), 60_000).readTimeout(READ_TIMEOUT)));
        server.start();
        return server.entryPoints().get(0).localAddress().getPort();
    }

    /** Sends {@code text} a byte every 50 ms, far more often than the idle timeout, until the socket fails. */
    private void dripInto(RawHttp raw, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        int[] next = {0};
        drip.scheduleAtFixedRate(() -> {
            if (next[0] < bytes.length) {
                try {
                    raw.send(new byte[] {bytes[next[0]++]});
                } catch (IOException e) {
                    next[0] = bytes.length; // the gateway closed: nothing more to send
                }
            }
        }, 0, 50, TimeUnit.MILLISECONDS);
    }

    private void assertTimedOut(RawHttp raw) throws IOException {
        long start = System.nanoTime();
        RawHttp.Response r = raw.read();
        assertThat(r.status()).isEqualTo(408);
        assertThat(r.header("connection")).isEqualToIgnoringCase("close");
        assertThat(raw.closedByPeer()).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(context.inFlight()).isZero();
            assertThat(context.upstreamConnections()).isZero();
        });
    }

    @Test
    void bodyDrippedSlowerThanTheReadTimeoutAllowsGets408() throws Exception {
        int port = proxy();
        try (RawHttp raw = new RawHttp(port)) {
            raw.send("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n");
            dripInto(raw, "x".repeat(40)); // two seconds of body, never idle for more than 50 ms
            assertTimedOut(raw);
        }
    }

    @Test
    void headDrippedSlowerThanTheReadTimeoutAllowsGets408() throws Exception {
        int port = proxy();
        try (RawHttp raw = new RawHttp(port)) {
            dripInto(raw, "GET /slow HTTP/1.1\r\nHost: x\r\nX-Long: " + "y".repeat(40) + "\r\n\r\n");
            assertTimedOut(raw);
        }
        assertThat(backend.hits()).isZero();
    }

    @Test
    void heldBodyDrippedSlowerThanTheReadTimeoutAllowsGets408() throws Exception {
        int port = proxy(BUFFERING);
        try (RawHttp raw = new RawHttp(port)) {
            raw.send("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n");
            dripInto(raw, "x".repeat(40));
            assertTimedOut(raw);
        }
        assertThat(backend.hits()).isZero();
    }

    @Test
    void keepAliveConnectionIdleLongerThanTheReadTimeoutServesItsNextRequest() throws Exception {
        int port = proxy();
        try (RawHttp raw = new RawHttp(port)) {
            raw.send("POST /one HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
            assertThat(raw.read().status()).isEqualTo(200);
            // Idle for three read timeouts: the idle timeout's business, not the read timeout's.
            await().pollDelay(READ_TIMEOUT.multipliedBy(3)).atMost(Duration.ofSeconds(5)).until(() -> true);
            // The next request, its head split across reads, arrives well within the read timeout.
            raw.send("POST /two HTTP/1.1\r\nHost: x\r\n");
            raw.send("Content-Length: 3\r\n\r\nabc");
            RawHttp.Response r = raw.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("b1 POST /two body=3\n");
            await().pollDelay(READ_TIMEOUT.multipliedBy(2)).atMost(Duration.ofSeconds(5)).until(() -> true);
            raw.send("GET /three HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().status()).isEqualTo(200);
        }
    }
}
