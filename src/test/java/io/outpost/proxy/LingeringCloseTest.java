package io.outpost.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.middleware.Middleware;
import io.outpost.service.RoundRobinService;
import io.outpost.testing.Backend;
import io.outpost.testing.ProxyHarness;
import io.outpost.testing.RawHttp;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A connection the gateway answers before reading the whole request ends so that the client gets
 * the answer: the gateway reads and drops what the client still sends (within bounds) instead of
 * closing on unread input, which would reset the connection, answer and all.
 */
class LingeringCloseTest {

    private static final long BODY = 8L << 20;
    private static final Middleware LIMIT_1KB = (ex, next) -> {
        ex.limitRequestBody(1024);
        next.proceed(ex);
    };

    private Backend backend;

    @BeforeEach
    void start() throws Exception {
        backend = Backend.start("b1");
    }

    @AfterEach
    void stop() {
        backend.close();
    }

    private ProxyHarness proxy(Lingering lingering) throws InterruptedException {
        return new ProxyHarness(lingering, new RoundRobinService("svc", List.of(UpstreamTarget.of(backend.url())),
                ForwardOptions.DEFAULTS), LIMIT_1KB);
    }

    private static void writeBody(RawHttp raw, long bytes) throws IOException {
        OutputStream out = raw.socket().getOutputStream();
        byte[] chunk = new byte[64 * 1024];
        for (long sent = 0; sent < bytes; sent += chunk.length) {
            out.write(chunk);
        }
        out.flush();
    }

    private static void assertReleased(ProxyHarness proxy, long buffersBefore) {
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(proxy.server().openConnections()).as("open client connections").isZero();
            assertThat(proxy.activeDirectAllocations()).as("buffers held").isLessThanOrEqualTo(buffersBefore);
        });
    }

    @Test
    void aClientStillWritingItsBodyFinishesAndReadsTheWhole413() throws Exception {
        try (ProxyHarness proxy = proxy(Lingering.DEFAULTS)) {
            long buffersBefore = proxy.activeDirectAllocations();
            try (RawHttp raw = new RawHttp(proxy.port())) {
                raw.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + BODY + "\r\n\r\n");
                // The 413 is written as soon as the head arrives; the client, like most, sends its
                // whole body before it reads. A gateway that closed with the body unread resets the
                // connection, and this write fails with "connection reset" or "broken pipe".
                writeBody(raw, BODY);
                RawHttp.Response r = raw.read();
                assertThat(r.status()).isEqualTo(413);
                assertThat(r.body()).contains("larger than 1024 bytes");
                assertThat(r.header("connection")).isEqualToIgnoringCase("close");
                assertThat(raw.closedByPeer()).as("the answer is followed by the end of the stream").isTrue();
            }
            assertReleased(proxy, buffersBefore);
            assertThat(backend.hits()).isZero();
        }
    }

    @Test
    void aClientStillWritingAfterAMalformedHeadFinishesAndReadsThe400() throws Exception {
        try (ProxyHarness proxy = proxy(Lingering.DEFAULTS)) {
            long buffersBefore = proxy.activeDirectAllocations();
            try (RawHttp raw = new RawHttp(proxy.port())) {
                raw.send("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: " + BODY
                        + "\r\n\r\n");
                writeBody(raw, BODY);
                RawHttp.Response r = raw.read();
                assertThat(r.status()).isEqualTo(400);
                assertThat(r.body()).contains("Transfer-Encoding and Content-Length");
                assertThat(raw.closedByPeer()).isTrue();
            }
            assertReleased(proxy, buffersBefore);
        }
    }

    @Test
    void aClientThatStopsSendingButNeverClosesIsClosedAfterTheLingeringTimeout() throws Exception {
        try (ProxyHarness proxy = proxy(new Lingering(Duration.ofSeconds(30), Duration.ofSeconds(1)))) {
            long buffersBefore = proxy.activeDirectAllocations();
            try (RawHttp raw = new RawHttp(proxy.port())) {
                raw.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + BODY + "\r\n\r\n");
                writeBody(raw, 256 * 1024);
                assertThat(raw.read().status()).isEqualTo(413);
                assertThat(raw.closedByPeer()).isTrue();
                // The client neither sends nor closes: the gateway waits out the timeout, not more.
                await().atLeast(Duration.ofMillis(200)).atMost(Duration.ofSeconds(5))
                        .until(() -> proxy.server().openConnections() == 0);
            }
            assertReleased(proxy, buffersBefore);
        }
    }

    @Test
    void aClientThatKeepsSendingIsClosedAfterTheLingeringTime() throws Exception {
        ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
        try (ProxyHarness proxy = proxy(new Lingering(Duration.ofSeconds(2), Duration.ofSeconds(1)))) {
            long buffersBefore = proxy.activeDirectAllocations();
            try (RawHttp raw = new RawHttp(proxy.port())) {
                raw.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + BODY + "\r\n\r\n");
                assertThat(raw.read().status()).isEqualTo(413);
                // A byte every 100ms: the timeout never runs out, only the total time can end this.
                OutputStream out = raw.socket().getOutputStream();
                trickle.scheduleAtFixedRate(() -> {
                    try {
                        out.write('a');
                        out.flush();
                    } catch (IOException e) {
                        throw new IllegalStateException("closed", e); // ends the schedule
                    }
                }, 0, 100, TimeUnit.MILLISECONDS);
                await().atLeast(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(10))
                        .until(() -> proxy.server().openConnections() == 0);
            }
            assertReleased(proxy, buffersBefore);
        } finally {
            trickle.shutdownNow();
        }
    }

    @Test
    void aClientThatSentItsWholeRequestIsClosedAtOnce() throws Exception {
        try (ProxyHarness proxy = proxy(new Lingering(Duration.ofSeconds(30), Duration.ofSeconds(30)));
             RawHttp raw = new RawHttp(proxy.port())) {
            raw.send("POST /upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc");
            assertThat(raw.read().status()).isEqualTo(200);
            assertThat(raw.closedByPeer()).isTrue();
            // Nothing is left to read from it: no reason to wait for the client.
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.server().openConnections() == 0);
        }
    }
}
