package io.outpost.middleware;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.config.MiddlewareConfig;
import io.outpost.config.RequestKey;
import io.outpost.testing.Backend;
import io.outpost.testing.RawHttp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class InFlightReqMiddlewareTest {

    private static final Duration BOUND = Duration.ofSeconds(5);

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicInteger held = new AtomicInteger();

    @AfterEach
    void releaseBackend() {
        release.countDown();
    }

    private static InFlightReqMiddleware inFlight(int amount, RequestKey key) {
        return (InFlightReqMiddleware) Fixture.build(new MiddlewareConfig.InFlightReq(amount, key));
    }

    /** {@code /hold} answers only once the test releases it. */
    private Fixture start(Middleware m) throws Exception {
        Fixture f = Fixture.start(m);
        f.backend.on("/hold", ex -> {
            held.incrementAndGet();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Backend.respond(ex, 200, "released");
        });
        return f;
    }

    private CompletableFuture<HttpResponse<String>> holdAsync(Fixture f, String tenant) {
        return client.sendAsync(HttpRequest.newBuilder(URI.create(f.proxy.url("/hold")))
                .header("X-Tenant", tenant).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void excessRequestsOfOneHeaderValueGet429AndOtherValuesAreIndependent() throws Exception {
        InFlightReqMiddleware m = inFlight(2, new RequestKey(RequestKey.Source.HEADER, "X-Tenant"));
        try (Fixture f = start(m)) {
            var first = holdAsync(f, "a");
            var second = holdAsync(f, "a");
            await().atMost(BOUND).until(() -> held.get() == 2);

            RawHttp.Response third = f.get("/quick", "X-Tenant: a");
            assertThat(third.status()).isEqualTo(429);
            assertThat(third.body()).contains("more than 2 requests in flight");
            assertThat(f.get("/quick", "X-Tenant: b").status()).isEqualTo(200);
            assertThat(f.get("/quick").status()).isEqualTo(200);
            assertThat(f.backend.hits()).isEqualTo(4);
            // The quick requests' counters go once their exchanges end; only "a" stays in flight.
            await().atMost(BOUND).until(() -> m.trackedSources() == 1);

            release.countDown();
            assertThat(first.get(5, TimeUnit.SECONDS).body()).isEqualTo("released");
            assertThat(second.get(5, TimeUnit.SECONDS).body()).isEqualTo("released");
            await().atMost(BOUND).until(() -> m.trackedSources() == 0);
            assertThat(f.get("/quick", "X-Tenant: a").status()).isEqualTo(200);
        }
    }

    @Test
    void clientIpIsTheDefaultSourceAndTheSlotReturnsWhenTheRequestEnds() throws Exception {
        InFlightReqMiddleware m = inFlight(1, RequestKey.CLIENT_IP);
        try (Fixture f = start(m)) {
            var first = holdAsync(f, "a");
            await().atMost(BOUND).until(() -> held.get() == 1);
            // Another header value does not help: the key is the address.
            assertThat(f.get("/quick", "X-Tenant: b").status()).isEqualTo(429);
            release.countDown();
            assertThat(first.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            await().atMost(BOUND).until(() -> m.trackedSources() == 0);
            assertThat(f.get("/quick").status()).isEqualTo(200);
        }
    }

    @Test
    void aClientThatLeavesEarlyGivesItsSlotBack() throws Exception {
        InFlightReqMiddleware m = inFlight(1, RequestKey.CLIENT_IP);
        try (Fixture f = start(m)) {
            try (RawHttp raw = new RawHttp(f.proxy.port())) {
                raw.send("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
                await().atMost(BOUND).until(() -> held.get() == 1);
                assertThat(f.get("/quick").status()).isEqualTo(429);
            }
            // The exchange ends (499) when the client goes, while the service is still busy.
            await().atMost(BOUND).until(() -> m.trackedSources() == 0);
            assertThat(f.get("/quick").status()).isEqualTo(200);
        }
    }

    @Test
    void countersOfFinishedSourcesAreRemoved() throws Exception {
        InFlightReqMiddleware m = inFlight(1, new RequestKey(RequestKey.Source.HEADER, "X-Tenant"));
        try (Fixture f = start(m)) {
            for (int i = 0; i < 20; i++) {
                assertThat(f.get("/quick", "X-Tenant: t" + i).status()).isEqualTo(200);
            }
            await().atMost(BOUND).until(() -> m.trackedSources() == 0);
            var busy = holdAsync(f, "busy");
            await().atMost(BOUND).until(() -> held.get() == 1);
            assertThat(f.get("/quick", "X-Tenant: busy").status()).isEqualTo(429);
            await().atMost(BOUND).until(() -> m.trackedSources() == 1);
            release.countDown();
            assertThat(busy.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            await().atMost(BOUND).until(() -> m.trackedSources() == 0);
        }
    }
}
