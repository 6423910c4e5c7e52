package io.outpost.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.service.RoundRobinService;
import io.outpost.testing.ProxyHarness;
import io.outpost.testing.RawHttp;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An upstream that closes a kept-alive connection just as the gateway reuses it: the request went
 * out, and the connection closed without a response byte. Its one endpoint is fine.
 */
class StaleConnectionTest {

    /**
     * Answers the first request on each connection with keep-alive and closes the connection,
     * without answering, when the next request arrives on it. With {@code answerFresh} false it
     * does the same to first requests too, once one connection has been answered.
     */
    static final class ClosingUpstream implements AutoCloseable {
        final ServerSocket server;
        final AtomicInteger connections = new AtomicInteger();
        final List<String> requests = new CopyOnWriteArrayList<>();
        volatile boolean answerFresh = true;

        ClosingUpstream() throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread t = new Thread(this::accept, "closing-upstream");
            t.setDaemon(true);
            t.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getLocalPort();
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    int n = connections.incrementAndGet();
                    Thread t = new Thread(() -> serve(s, n), "closing-upstream-" + n);
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket s, int connection) {
            try (s) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                for (int onThisConnection = 1; ; onThisConnection++) {
                    String head = readHead(in);
                    if (head == null) {
                        return;
                    }
                    requests.add(head.substring(0, head.indexOf('\r')) + " on connection " + connection);
                    if (onThisConnection > 1 || !answerFresh && connection > 1) {
                        return; // closes with the request unanswered: an idle timeout that raced it
                    }
                    String body = "connection " + connection;
                    out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                            .getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
            } catch (IOException ignored) {
                // the gateway went away
            }
        }

        /** Reads a head of a request without a body; null at the end of the stream. */
        private static String readHead(InputStream in) throws IOException {
            StringBuilder sb = new StringBuilder();
            int b;
            while ((b = in.read()) >= 0) {
                sb.append((char) b);
                if (sb.length() >= 4 && sb.lastIndexOf("\r\n\r\n") == sb.length() - 4) {
                    return sb.toString();
                }
            }
            return null;
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    private final ClosingUpstream upstream = new ClosingUpstream();
    private final ProxyHarness proxy = new ProxyHarness(new RoundRobinService("svc",
            List.of(UpstreamTarget.of(upstream.url())), new ForwardOptions(1000, 5000, true)));

    StaleConnectionTest() throws Exception {
    }

    @AfterEach
    void stop() throws IOException {
        proxy.close();
        upstream.close();
    }

    private RawHttp.Response send(String request) throws IOException {
        try (RawHttp raw = new RawHttp(proxy.port())) {
            raw.send(request);
            return raw.read();
        }
    }

    @Test
    void aGetOnAPooledConnectionTheUpstreamClosedIsResentOnceOnANewConnection() throws Exception {
        assertThat(send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n").body()).isEqualTo("connection 1");

        RawHttp.Response second = send("GET /second HTTP/1.1\r\nHost: x\r\n\r\n");

        assertThat(second.status()).isEqualTo(200);
        assertThat(second.body()).isEqualTo("connection 2");
        assertThat(upstream.requests).containsExactly("GET /first HTTP/1.1 on connection 1",
                "GET /second HTTP/1.1 on connection 1", "GET /second HTTP/1.1 on connection 2");
    }

    @Test
    void aPostWithoutIdempotencyKeyIsNotResentAfterAPooledConnectionClosed() throws Exception {
        assertThat(send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n").status()).isEqualTo(200);

        RawHttp.Response post = send("POST /order HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");

        assertThat(post.status()).as("it may have run on the closed connection").isEqualTo(502);
        assertThat(upstream.requests).containsExactly("GET /first HTTP/1.1 on connection 1",
                "POST /order HTTP/1.1 on connection 1");
    }

    @Test
    void aPostWithAnIdempotencyKeyIsResentOnANewConnection() throws Exception {
        assertThat(send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n").status()).isEqualTo(200);

        RawHttp.Response post = send("POST /order HTTP/1.1\r\nHost: x\r\nIdempotency-Key: k1\r\nContent-Length: 0\r\n\r\n");

        assertThat(post.status()).isEqualTo(200);
        assertThat(post.body()).isEqualTo("connection 2");
    }

    @Test
    void eachRequestOnAClientConnectionMayBeResentOnce() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.port())) {
            assertThat(raw.send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n").read().body()).isEqualTo("connection 1");
            assertThat(raw.send("GET /second HTTP/1.1\r\nHost: x\r\n\r\n").read().body()).isEqualTo("connection 2");

            RawHttp.Response third = raw.send("GET /third HTTP/1.1\r\nHost: x\r\n\r\n").read();

            assertThat(third.status()).as("the resend the request before it used is not this one's").isEqualTo(200);
            assertThat(third.body()).isEqualTo("connection 3");
        }
        assertThat(upstream.requests).containsExactly("GET /first HTTP/1.1 on connection 1",
                "GET /second HTTP/1.1 on connection 1", "GET /second HTTP/1.1 on connection 2",
                "GET /third HTTP/1.1 on connection 2", "GET /third HTTP/1.1 on connection 3");
    }

    @Test
    void theNewConnectionIsTriedOnlyOnce() throws Exception {
        assertThat(send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n").status()).isEqualTo(200);
        upstream.answerFresh = false;

        RawHttp.Response second = send("GET /second HTTP/1.1\r\nHost: x\r\n\r\n");

        assertThat(second.status()).isEqualTo(502);
        assertThat(upstream.requests).containsExactly("GET /first HTTP/1.1 on connection 1",
                "GET /second HTTP/1.1 on connection 1", "GET /second HTTP/1.1 on connection 2");
    }
}
