package io.outpost.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import io.outpost.service.RoundRobinService;
import io.outpost.testing.Backend;
import io.outpost.testing.ProxyHarness;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Bodies far larger than the proxy's memory budget stream through with bounded buffers. */
class StreamingTest {

    private static final long GIB = 1L << 30;
    private static final long BOUND = 16L << 20;

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void oneGibUploadAndDownloadUseBoundedMemory() throws Exception {
        try (Backend backend = Backend.start("sink");
             ProxyHarness proxy = new ProxyHarness(new RoundRobinService("svc",
                     List.of(UpstreamTarget.of(backend.url())), ForwardOptions.DEFAULTS))) {
            backend.on("/download", StreamingTest::serveZeros);
            AtomicLong peak = new AtomicLong();
            ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
            sampler.scheduleAtFixedRate(() -> peak.accumulateAndGet(proxy.usedDirectMemory(), Math::max),
                    0, 5, TimeUnit.MILLISECONDS);
            try {
                HttpResponse<String> up = client.send(HttpRequest.newBuilder(URI.create(proxy.url("/upload")))
                        .POST(HttpRequest.BodyPublishers.fromPublisher(
                                HttpRequest.BodyPublishers.ofInputStream(() -> new Zeros(GIB)), GIB))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(up.statusCode()).isEqualTo(200);
                assertThat(up.body()).isEqualTo("sink POST /upload body=" + GIB + "\n");

                HttpResponse<InputStream> down = client.send(
                        HttpRequest.newBuilder(URI.create(proxy.url("/download"))).build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                long received;
                try (InputStream in = down.body()) {
                    received = Backend.drain(in);
                }
                assertThat(received).isEqualTo(GIB / 4);
            } finally {
                sampler.shutdownNow();
            }
            assertThat(peak.get()).as("peak pooled direct memory in the proxy").isLessThan(BOUND);
        }
    }

    private static void serveZeros(HttpExchange ex) throws java.io.IOException {
        ex.sendResponseHeaders(200, 0); // chunked
        byte[] chunk = new byte[64 * 1024];
        try (OutputStream out = ex.getResponseBody()) {
            for (long sent = 0; sent < GIB / 4; sent += chunk.length) {
                out.write(chunk);
            }
        }
        ex.close();
    }

    /** An input stream of {@code size} zero bytes, generated as it is read. */
    private static final class Zeros extends InputStream {
        private long left;

        Zeros(long size) {
            this.left = size;
        }

        @Override
        public int read() {
            if (left <= 0) {
                return -1;
            }
            left--;
            return 0;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (left <= 0) {
                return -1;
            }
            int n = (int) Math.min(len, left);
            java.util.Arrays.fill(b, off, off + n, (byte) 0);
            left -= n;
            return n;
        }
    }
}
