package io.outpost.middleware;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.config.MiddlewareConfig;
import io.outpost.testing.Backend;
import io.outpost.testing.RawHttp;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** {@code maxBodySize} (streams and counts) and {@code buffering} (holds the body, then forwards). */
class BodyLimitTest {

    private static final String CHUNKED_HEAD = "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";

    private static Middleware maxBodySize(long limit) {
        return Fixture.build(new MiddlewareConfig.MaxBodySize(limit));
    }

    private static Middleware buffering(long limit) {
        return Fixture.build(new MiddlewareConfig.Buffering(limit));
    }

    private static String post(int length) {
        return "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + "\r\n\r\n" + "a".repeat(length);
    }

    private static String chunk(int size) {
        return Integer.toHexString(size) + "\r\n" + "b".repeat(size) + "\r\n";
    }

    @Test
    void maxBodySizeRejectsADeclaredLengthBeforeForwarding() throws Exception {
        try (Fixture f = Fixture.start(maxBodySize(10))) {
            RawHttp.Response r = f.send(post(11));
            assertThat(r.status()).isEqualTo(413);
            assertThat(r.body()).contains("larger than 10 bytes");
            assertThat(f.backend.hits()).isZero();
            assertThat(f.send(post(10)).body()).isEqualTo("b1 POST /up body=10\n");
        }
    }

    @Test
    void maxBodySizeRejectsAChunkedBodyThatGrowsPastTheLimit() throws Exception {
        try (Fixture f = Fixture.start(maxBodySize(10))) {
            RawHttp.Response over = f.send(CHUNKED_HEAD + chunk(6) + chunk(6) + "0\r\n\r\n");
            assertThat(over.status()).isEqualTo(413);
            assertThat(over.body()).contains("larger than 10 bytes");
            RawHttp.Response under = f.send(CHUNKED_HEAD + chunk(6) + chunk(4) + "0\r\n\r\n");
            assertThat(under.status()).isEqualTo(200);
            assertThat(under.body()).isEqualTo("b1 POST /up body=10\n");
        }
    }

    @Test
    void bufferingHoldsASlowChunkedBodyUntilItIsComplete() throws Exception {
        try (Fixture f = Fixture.start(buffering(1000))) {
            AtomicInteger arrived = new AtomicInteger();
            AtomicLong arrivedAt = new AtomicLong();
            long lastChunkSent;
            f.backend.on("/up", ex -> {
                arrivedAt.set(System.nanoTime());
                arrived.incrementAndGet();
                long n = Backend.drain(ex.getRequestBody());
                Backend.respond(ex, 200, "got " + n);
            });
            try (RawHttp raw = new RawHttp(f.proxy.port())) {
                raw.send(CHUNKED_HEAD + chunk(100));
                raw.send(chunk(50));
                // Negative check: nothing may reach the service while the body is incomplete.
                await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> arrived.get() == 0);
                lastChunkSent = System.nanoTime();
                raw.send("0\r\n\r\n");
                RawHttp.Response r = raw.read();
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("got 150");
            }
            assertThat(arrived.get()).isEqualTo(1);
            assertThat(arrivedAt.get()).isGreaterThan(lastChunkSent);
        }
    }

    @Test
    void withoutBufferingTheSameSlowClientReachesTheServiceAtOnce() throws Exception {
        // The control for the test above: it shows that its negative check can fail.
        try (Fixture f = Fixture.start(maxBodySize(1000))) {
            AtomicInteger arrived = new AtomicInteger();
            f.backend.on("/up", ex -> {
                arrived.incrementAndGet();
                Backend.respond(ex, 200, "got " + Backend.drain(ex.getRequestBody()));
            });
            try (RawHttp raw = new RawHttp(f.proxy.port())) {
                raw.send(CHUNKED_HEAD + chunk(100));
                await().atMost(Duration.ofSeconds(5)).until(() -> arrived.get() == 1);
                raw.send("0\r\n\r\n");
                assertThat(raw.read().body()).isEqualTo("got 100");
            }
        }
    }

    @Test
    void bufferingRejectsOversizeBodiesWithoutTouchingTheService() throws Exception {
        try (Fixture f = Fixture.start(buffering(100))) {
            RawHttp.Response declared = f.send(post(101));
            assertThat(declared.status()).isEqualTo(413);
            assertThat(declared.body()).contains("larger than 100 bytes");
            RawHttp.Response streamed = f.send(CHUNKED_HEAD + chunk(60) + chunk(60) + "0\r\n\r\n");
            assertThat(streamed.status()).isEqualTo(413);
            assertThat(f.backend.hits()).isZero();
            assertThat(f.send(post(100)).body()).isEqualTo("b1 POST /up body=100\n");
        }
    }

    /** Passes each request on only when the test says so, as forwardAuth does once its service answers. */
    private static final class Deciding implements Middleware {
        final java.util.concurrent.CompletableFuture<Runnable> pending = new java.util.concurrent.CompletableFuture<>();

        @Override
        public void handle(Exchange exchange, Next next) {
            pending.complete(() -> exchange.eventLoop().execute(() -> next.proceed(exchange)));
        }
    }

    @Test
    void maxBodySizeRejectsAChunkedBodyThatArrivedInFullBeforeTheLimitWasSet() throws Exception {
        Deciding auth = new Deciding();
        try (Fixture f = Fixture.start(auth, maxBodySize(10))) {
            try (RawHttp raw = new RawHttp(f.proxy.port())) {
                raw.send(CHUNKED_HEAD + chunk(20) + "0\r\n\r\n");
                Runnable proceed = auth.pending.get(5, java.util.concurrent.TimeUnit.SECONDS);
                // The whole body has reached the gateway: it is held while the middleware decides.
                await().atMost(Duration.ofSeconds(5)).until(() -> f.proxy.activeDirectAllocations() > 0);
                proceed.run();
                RawHttp.Response r = raw.read();
                assertThat(r.status()).isEqualTo(413);
                assertThat(r.body()).contains("larger than 10 bytes");
            }
            assertThat(f.backend.hits()).isZero();
        }
    }
}
