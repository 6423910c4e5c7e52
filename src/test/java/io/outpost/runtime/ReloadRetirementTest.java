package io.outpost.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.config.ServiceConfig;
import io.outpost.proxy.ProxyExchange;
import io.outpost.service.Service;
import io.outpost.testing.Backend;
import io.outpost.testing.MutableClock;
import io.outpost.testing.Ports;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What becomes of a snapshot a reload replaced: it serves the requests that started on it, and is closed
 * once its grace period has passed by the gateway's monotonic time source (not its wall clock), or at
 * shutdown, whichever comes first.
 */
class ReloadRetirementTest {

    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    /** The gateway's monotonic time, moved apart from its wall clock. */
    private final AtomicLong nanos = new AtomicLong(-5_000_000_000L);
    private final CountDownLatch slowRelease = new CountDownLatch(1);
    private final CountDownLatch slowArrived = new CountDownLatch(1);
    private Backend blue;
    private Backend green;
    private Gateway gateway;
    private Path file;
    private int port;
    private int adminPort;

    /** A service that records whether the gateway closed it. */
    private static final class Tracked implements Service {
        private final Service delegate;
        private final AtomicBoolean closed = new AtomicBoolean();

        Tracked(Service delegate) {
            this.delegate = delegate;
        }

        @Override
        public void handle(ProxyExchange exchange) {
            delegate.handle(exchange);
        }

        @Override
        public void close() {
            closed.set(true);
            delegate.close();
        }

        boolean isClosed() {
            return closed.get();
        }
    }

    private static final class Tracking extends ServiceFactory {
        @Override
        public Service create(String name, ServiceConfig config, BuildContext context) {
            return new Tracked(super.create(name, config, context));
        }
    }

    @BeforeEach
    void start() throws Exception {
        blue = Backend.start("blue").on("/slow", ex -> {
            slowArrived.countDown();
            try {
                slowRelease.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Backend.respond(ex, 200, "blue slow\n");
        });
        green = Backend.start("green");
        port = Ports.free();
        adminPort = Ports.free();
        file = dir.resolve("outpost.yaml");
        write(blue);
        gateway = Gateway.start(file, new Gateway.Options(1, clock, new Tracking()).nanoTime(nanos::get));
    }

    @AfterEach
    void stop() {
        slowRelease.countDown();
        if (gateway != null) {
            gateway.close();
        }
        blue.close();
        green.close();
    }

    /** Everything to {@code backend}. */
    private void write(Backend backend) throws Exception {
        String yaml = """
                entryPoints:
                  web: { address: "127.0.0.1:%d" }
                admin: { address: "127.0.0.1:%d" }
                accessLog: { enabled: false }
                http:
                  routers:
                    api: { rule: "PathPrefix(`/`)", service: web }
                  services:
                    web:
                      loadBalancer: { endpoints: [ { url: "%s" } ] }
                """.formatted(port, adminPort, backend.url());
        Path tmp = dir.resolve("next.yaml");
        Files.writeString(tmp, yaml);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Writes a configuration leading to {@code backend} and waits until a new snapshot serves it. */
    private Tracked reloadTo(Backend backend) throws Exception {
        Tracked before = web();
        write(backend);
        await().atMost(Duration.ofSeconds(3)).until(() -> web() != before);
        return web();
    }

    private Tracked web() {
        return (Tracked) gateway.runtime().services().get("web");
    }

    private String get(String path) throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body().trim();
    }

    private static long gatewayThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("outpost-")).count();
    }

    @Test
    void aReplacedSnapshotIsClosedOnceItsGraceHasPassedOnTheGatewaysMonotonicTime() throws Exception {
        Tracked first = web();
        Tracked second = reloadTo(green);

        // Several sweeps run before time moves: none closes a snapshot still in its grace period.
        await().during(Retirement.SWEEP.multipliedBy(2)).atMost(Retirement.SWEEP.multipliedBy(4))
                .until(() -> !first.isClosed());
        // A step of the wall clock (a corrected host clock) is not time passed.
        clock.advance(Duration.ofDays(1));
        await().during(Retirement.SWEEP.multipliedBy(2)).atMost(Retirement.SWEEP.multipliedBy(4))
                .until(() -> !first.isClosed());
        nanos.addAndGet(Retirement.GRACE.minusMillis(1).toNanos());
        await().during(Retirement.SWEEP.multipliedBy(2)).atMost(Retirement.SWEEP.multipliedBy(4))
                .until(() -> !first.isClosed());

        nanos.addAndGet(Duration.ofMillis(1).toNanos());
        await().atMost(Retirement.SWEEP.multipliedBy(3)).until(first::isClosed);
        assertThat(second.isClosed()).as("the snapshot serving").isFalse();
        assertThat(get("/x")).startsWith("200 green GET /x");
    }

    @Test
    void reloadsStartNoThreadAndShutdownClosesEveryReplacedSnapshotAtOnce() throws Exception {
        assertThat(get("/x")).startsWith("200 blue");
        long threads = gatewayThreads();
        List<Tracked> snapshots = new ArrayList<>(List.of(web()));
        for (int i = 0; i < 4; i++) {
            snapshots.add(reloadTo(i % 2 == 0 ? green : blue));
        }
        assertThat(gatewayThreads()).as("gateway threads after four reloads").isLessThanOrEqualTo(threads);
        assertThat(snapshots).noneMatch(Tracked::isClosed);

        gateway.close();
        gateway = null;

        assertThat(snapshots).allMatch(Tracked::isClosed);
    }

    @Test
    void aRequestInFlightDuringAReloadFinishesOnTheSnapshotItStartedOn() throws Exception {
        CompletableFuture<HttpResponse<String>> inFlight = client.sendAsync(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/slow")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(slowArrived.await(5, TimeUnit.SECONDS)).isTrue();
        Tracked first = web();

        reloadTo(green);
        assertThat(get("/slow")).as("a request after the reload").startsWith("200 green GET /slow");

        slowRelease.countDown();
        HttpResponse<String> response = inFlight.get(5, TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("blue slow\n");
        assertThat(first.isClosed()).as("closed while its request was in flight").isFalse();
    }
}
