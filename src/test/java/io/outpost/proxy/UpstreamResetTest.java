package io.outpost.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.middleware.Middleware;
import io.outpost.service.RoundRobinService;
import io.outpost.testing.ProxyHarness;
import io.outpost.testing.RawHttp;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An upstream that resets a connection at the moment the gateway writes a request on it, before the
 * gateway's event loop has seen the reset: the write fails inside the call that sends the request.
 */
class UpstreamResetTest {

    /**
     * Answers every request with keep-alive, except that after its first answer on connection 1 it
     * stops reading that connection and leaves it to {@link #resetParked}.
     */
    static final class ResettingUpstream implements AutoCloseable {
        final ServerSocket server;
        final AtomicInteger connections = new AtomicInteger();
        final List<String> requests = new CopyOnWriteArrayList<>();
        final AtomicReference<Socket> parked = new AtomicReference<>();

        ResettingUpstream() throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread t = new Thread(this::accept, "resetting-upstream");
            t.setDaemon(true);
            t.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getLocalPort();
        }

        /** Resets the parked connection: a close with a zero linger time sends RST, not FIN. */
        void resetParked() {
            try {
                Socket s = parked.get();
                s.setSoLinger(true, 0);
                s.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    int n = connections.incrementAndGet();
                    Thread t = new Thread(() -> serve(s, n), "resetting-upstream-" + n);
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket s, int connection) {
            try {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                while (true) {
                    String head = readHead(in);
                    if (head == null) {
                        s.close();
                        return;
                    }
                    requests.add(head.substring(0, head.indexOf('\r')) + " on connection " + connection);
                    String body = "connection " + connection;
                    if (connection == 1) {
                        // Parked before the answer goes out: the client's next request may reach
                        // resetParked as soon as it has read it.
                        parked.set(s);
                    }
                    out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                            .getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    if (connection == 1) {
                        return;
                    }
                }
            } catch (IOException ignored) {
                // the gateway went away
            }
        }

        /** Reads the head of a request without a body; null at the end of the stream. */
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

    private final ResettingUpstream upstream = new ResettingUpstream();

    /**
     * Passes {@code /late} on from a task on the event loop, as a middleware that finished its work
     * elsewhere (forwardAuth) does; the upstream resets its idle connection in that same task, just
     * before, so the reset is in the socket but not yet read when the request is written.
     */
    private final Middleware resetThenForward = (exchange, next) -> {
        if (exchange.path().equals("/late")) {
            exchange.eventLoop().execute(() -> {
                upstream.resetParked();
                next.proceed(exchange);
            });
        } else {
            next.proceed(exchange);
        }
    };

    private final ProxyHarness proxy = new ProxyHarness(new RoundRobinService("svc",
            List.of(UpstreamTarget.of(upstream.url())), new ForwardOptions(1000, 5000, true)), resetThenForward);

    UpstreamResetTest() throws Exception {
    }

    @AfterEach
    void stop() throws IOException {
        proxy.close();
        upstream.close();
    }

    @Test
    void aRequestWhoseWriteFailsAnswers502AndTheClientConnectionReadsTheNextRequest() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.port())) {
            assertThat(raw.send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n").read().body()).isEqualTo("connection 1");

            RawHttp.Response late = raw.send("POST /late HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n").read();

            assertThat(late.status()).as("a POST without Idempotency-Key is not sent again").isEqualTo(502);
            assertThat(late.header("connection")).isNull();
            raw.socket().setSoTimeout(5_000);
            RawHttp.Response next = raw.send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n").read();
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.body()).isEqualTo("connection 2");
        }
        assertThat(upstream.requests).containsExactly("GET /first HTTP/1.1 on connection 1",
                "GET /next HTTP/1.1 on connection 2");
    }
}
