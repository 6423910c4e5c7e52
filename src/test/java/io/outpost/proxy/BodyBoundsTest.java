package io.outpost.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.middleware.Exchange;
import io.outpost.middleware.Middleware;
import io.outpost.middleware.Next;
import io.outpost.service.RoundRobinService;
import io.outpost.testing.Backend;
import io.outpost.testing.ProxyHarness;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The proxy holds a bounded amount of a request body, whatever stage the request is in. */
class BodyBoundsTest {

    private static final long BOUND = 16L << 20;
    private static final long OFFERED = 256L << 20;

    /**
     * Writes a chunked body of up to {@code max} bytes on a non-blocking socket until the peer stops
     * taking bytes for {@code stall}; returns how many it took.
     */
    private long chunksBegun;

    long pushUntilStalled(SocketChannel ch, ByteBuffer chunk, long max, Duration stall) throws IOException {
        byte[] sizeLine = (Integer.toHexString(64 * 1024) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        long written = 0;
        try (Selector selector = Selector.open()) {
            ch.configureBlocking(false);
            ch.register(selector, SelectionKey.OP_WRITE);
            while (written < max) {
                chunk.clear();
                chunksBegun++;
                chunk.put(sizeLine).put(new byte[64 * 1024]).put((byte) '\r').put((byte) '\n').flip();
                while (chunk.hasRemaining()) {
                    int n = ch.write(chunk);
                    written += n;
                    if (n == 0) {
                        selector.selectedKeys().clear();
                        if (selector.select(stall.toMillis()) == 0) {
                            return written;
                        }
                    }
                }
            }
        }
        return written;
    }

    @Test
    void aBodyArrivingWhileAMiddlewareDecidesIsNotReadWithoutBound() throws Exception {
        CompletableFuture<Runnable> decided = new CompletableFuture<>();
        // A middleware that takes its time before passing the request on, as forwardAuth does while
        // its authorization service answers.
        Middleware slowDecision = (Exchange ex, Next next) -> decided.complete(() -> next.proceed(ex));
        try (Backend backend = Backend.start("sink");
             ProxyHarness proxy = new ProxyHarness(new RoundRobinService("svc",
                     List.of(UpstreamTarget.of(backend.url())), ForwardOptions.DEFAULTS), slowDecision);
             SocketChannel client = SocketChannel.open(new InetSocketAddress("127.0.0.1", proxy.port()))) {
            client.write(ByteBuffer.wrap(("POST /upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII)));
            await().atMost(Duration.ofSeconds(5)).until(decided::isDone);

            ByteBuffer chunk = ByteBuffer.allocate(64 * 1024 + 16);
            long taken = pushUntilStalled(client, chunk, OFFERED, Duration.ofSeconds(1));

            assertThat(proxy.usedDirectMemory()).as("pooled direct memory the proxy holds").isLessThan(BOUND);
            assertThat(taken).as("body bytes the proxy read before its service was chosen").isLessThan(BOUND);

            // Once the middleware passes the request on, the rest streams through.
            decided.get().run();
            client.configureBlocking(true);
            client.write(chunk); // the rest of a chunk cut short by the stall
            client.write(ByteBuffer.wrap("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
            client.socket().setSoTimeout(10_000);
            String response = new String(client.socket().getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(response).startsWith("HTTP/1.1 200").contains("sink POST /upload body=" + chunksBegun * 64 * 1024);
        }
    }
}
