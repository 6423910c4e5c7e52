package io.outpost.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * The answer to a write is held in memory until it is whole (it is journaled for retries and passed on
 * from the same bytes), up to {@code Replication.Options#maxResponseBytes} (8 MiB). An answer that is
 * larger, or that breaks off, never reaches the client as if it were complete: the client gets the
 * replica's status with no body and {@code X-Outpost-Response-Truncated: true} (not a 5xx, since the write
 * was applied), and the write stays committed and reaches every replica.
 */
class LargeAnswerTest extends HarnessTest {

    private static final int LIMIT = 8 * 1024 * 1024;

    @Test
    void anAnswerOverTheLimitKeepsItsStatusLosesItsBodyAndSaysSo() throws Exception {
        h = new Harness(dir).start();
        h.cloud.answerLarge("/export", 9 * 1024 * 1024);

        HttpResponse<String> r = h.post("till-1", "/export", "sale-1", "key-1");

        assertThat(r.statusCode()).as("a 9 MiB answer").isEqualTo(201);
        assertThat(r.headers().firstValue(DeliveryHeaders.TRUNCATED)).contains("true");
        assertThat(r.body()).as("no body rather than 8 MiB of 9 passing for whole").isEmpty();
        assertThat(h.cloud.state().get("till-1")).containsExactly("sale-1");
        // Committed: the other replica is owed it too (G2).
        await().atMost(Duration.ofSeconds(10)).until(() -> h.edge.state().getOrDefault("till-1", List.of()).size() == 1);

        // A retry gets the stored answer, marked as without its body, and does not run the write again (G4).
        HttpResponse<String> retry = h.post("till-1", "/export", "sale-1", "key-1");
        assertThat(retry.statusCode()).isEqualTo(201);
        assertThat(retry.headers().firstValue(DeliveryHeaders.TRUNCATED)).contains("true");
        assertThat(retry.body()).isEmpty();
        assertThat(h.cloud.receivedBodies("till-1")).hasSize(1);
    }

    @Test
    void anAnswerWithinTheLimitArrivesWhole() throws Exception {
        h = new Harness(dir).start();
        h.cloud.answerLarge("/export", LIMIT);

        HttpResponse<String> r = h.post("till-2", "/export", "sale-2", "key-2");

        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(r.body()).hasSize(LIMIT);
    }

    @Test
    void anAnswerThatBreaksOffKeepsItsStatusLosesItsBodyAndSaysSo() throws Exception {
        try (CutShortReplica cut = new CutShortReplica()) {
            h = new Harness(dir);
            h.cloudUrl = "http://127.0.0.1:" + cut.port();
            h.start();

            HttpResponse<String> r = h.post("till-3", "/sales", "sale-3", "key-3");

            assertThat(r.statusCode()).as("the status the replica sent").isEqualTo(201);
            assertThat(r.headers().firstValue(DeliveryHeaders.TRUNCATED)).contains("true");
            assertThat(r.body()).as("no body rather than 10 bytes of 100 passing for whole").isEmpty();
            await().atMost(Duration.ofSeconds(10)).until(() -> h.edge.state().getOrDefault("till-3", List.of()).size() == 1);
        }
    }

    /** Answers every request with a head announcing 100 bytes, sends 10 of them, and closes the connection. */
    private static final class CutShortReplica implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final Thread thread = new Thread(this::serve, "cut-short-replica");

        CutShortReplica() throws IOException {
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void serve() {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    readRequest(s.getInputStream());
                    OutputStream out = s.getOutputStream();
                    out.write("HTTP/1.1 201 Created\r\nContent-Length: 100\r\n\r\n0123456789"
                            .getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                } catch (IOException e) {
                    // closed by the test, or the gateway went away: the next connection is served
                }
            }
        }

        /** Reads a head and its Content-Length body. */
        private static void readRequest(InputStream in) throws IOException {
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("request ended in its head");
                }
                head.append((char) b);
            }
            int length = 0;
            for (String line : head.toString().split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            in.readNBytes(length);
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
