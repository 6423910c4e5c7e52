package io.outpost.upstream.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.outpost.proxy.NettyHealthProbe;
import io.outpost.upstream.Endpoint;
import io.outpost.upstream.Ticker;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Real sockets: one endpoint hangs, one answers; the hanging one must not hold up the other. */
class HttpHealthCheckerTest {

    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicInteger goodStatus = new AtomicInteger(200);
    private final AtomicInteger goodChecks = new AtomicInteger();
    private HttpServer good;
    private HttpServer hanging;
    private ScheduledExecutorService scheduler;
    private HealthProbe probe;

    @AfterEach
    void stop() {
        release.countDown();
        if (good != null) {
            good.stop(0);
        }
        if (hanging != null) {
            hanging.stop(0);
        }
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }

    private HttpServer server(com.sun.net.httpserver.HttpHandler handler) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s.createContext("/health", handler);
        s.setExecutor(Executors.newCachedThreadPool());
        s.start();
        return s;
    }

    @Test
    void hangingEndpointTimesOutWithoutBlockingOthers() throws Exception {
        good = server(exchange -> {
            goodChecks.incrementAndGet();
            exchange.sendResponseHeaders(goodStatus.get(), -1);
            exchange.close();
        });
        hanging = server(exchange -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.close();
        });
        Endpoint goodEp = Endpoint.of("http://127.0.0.1:" + good.getAddress().getPort());
        Endpoint hangingEp = Endpoint.of("http://127.0.0.1:" + hanging.getAddress().getPort());
        scheduler = Executors.newSingleThreadScheduledExecutor();
        probe = new NettyHealthProbe(null);
        // Warm the probe up (class loading on a busy machine can exceed the check timeout).
        assertThat(probe.get(goodEp, "/health", Duration.ofSeconds(10)).get()).isEqualTo(200);
        goodChecks.set(0);
        ConcurrentHashMap<String, Boolean> changes = new ConcurrentHashMap<>();
        AtomicInteger goodChecksWhenHangingFailed = new AtomicInteger(-1);
        HealthCheckConfig config = HealthCheckConfig.of("/health")
                .withInterval(Duration.ofMillis(50), Duration.ofMillis(600))
                .withThresholds(2, 1);
        RandomGenerator random = new SplittableRandom(1);
        HttpHealthChecker checker = new HttpHealthChecker(config, List.of(goodEp, hangingEp), probe, scheduler,
                Ticker.system(), random, (e, healthy) -> {
                    changes.put(e.id(), healthy);
                    if (e.equals(hangingEp)) {
                        goodChecksWhenHangingFailed.compareAndSet(-1, goodChecks.get());
                    }
                });
        checker.start();

        await().atMost(Duration.ofSeconds(5)).until(() -> goodChecksWhenHangingFailed.get() >= 0);
        assertThat(hangingEp.healthy()).isFalse();
        // Two hanging checks took at least 2 x 600 ms; checks every 50 ms of the good endpoint went
        // on meanwhile. Had they queued behind the hanging ones, there would be two or three.
        assertThat(goodChecksWhenHangingFailed.get()).isGreaterThanOrEqualTo(6);
        assertThat(checker.state(hangingEp).lastError()).isEqualTo("timeout");
        assertThat(changes).containsEntry(hangingEp.id(), false);
        assertThat(goodEp.healthy()).isTrue();

        goodStatus.set(503);
        await().atMost(Duration.ofSeconds(5)).until(() -> !goodEp.healthy());
        assertThat(checker.state(goodEp).lastError()).isEqualTo("status 503");

        goodStatus.set(204);
        await().atMost(Duration.ofSeconds(5)).until(goodEp::healthy);
        assertThat(changes).containsEntry(goodEp.id(), true);
        checker.close();
    }

    @Test
    void refusedConnectionIsUnhealthy() throws Exception {
        HttpServer s = server(exchange -> exchange.close());
        int port = s.getAddress().getPort();
        s.stop(0);
        Endpoint gone = Endpoint.of("http://127.0.0.1:" + port);
        scheduler = Executors.newSingleThreadScheduledExecutor();
        probe = new NettyHealthProbe(null);
        HealthCheckConfig config = HealthCheckConfig.of("/health")
                .withInterval(Duration.ofMillis(20), Duration.ofMillis(500)).withThresholds(1, 1);
        HttpHealthChecker checker = new HttpHealthChecker(config, List.of(gone), probe, scheduler,
                Ticker.system(), new SplittableRandom(2), (e, healthy) -> { });
        checker.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> !gone.healthy());
        assertThat(checker.state(gone).lastError()).contains("ConnectException");
        checker.close();
    }

    @Test
    void anEndpointIsKnownByItsAddressSoAReweightedCopyFindsItsVerdict() {
        Endpoint checked = Endpoint.of("http://127.0.0.1:9001", 1, 0);
        scheduler = Executors.newSingleThreadScheduledExecutor();
        HttpHealthChecker checker = new HttpHealthChecker(HealthCheckConfig.of("/health"), List.of(checked),
                (e, path, timeout) -> new java.util.concurrent.CompletableFuture<>(), scheduler, Ticker.system(),
                new SplittableRandom(3), (e, healthy) -> { });

        // What a reload that changes only the weight and priority hands the cluster: a copy, not equal to the original.
        Endpoint reweighted = checked.reconfigure(3, 1);
        assertThat(reweighted).isNotEqualTo(checked);
        assertThat(checker.state(reweighted)).isNotNull().isSameAs(checker.state(checked));
        assertThat(checker.state(Endpoint.of("http://127.0.0.1:9002"))).isNull();
    }
}
