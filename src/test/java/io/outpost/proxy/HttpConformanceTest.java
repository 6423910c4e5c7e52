package io.outpost.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.middleware.Middleware;
import io.outpost.service.RoundRobinService;
import io.outpost.testing.Backend;
import io.outpost.testing.ProxyHarness;
import io.outpost.testing.RawHttp;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * HTTP/1.1 framing, connection management and retries at the edges of RFC 9110 and 9112: smuggling
 * through Connection options, trailers, HTTP/1.0 clients, absolute-form targets, early answers and
 * clients that stall mid-body.
 */
class HttpConformanceTest {

    private Backend backend;
    private ProxyHarness proxy;

    @BeforeEach
    void start() throws Exception {
        backend = Backend.start("b1");
        proxy = new ProxyHarness(new RoundRobinService("svc", List.of(UpstreamTarget.of(backend.url())),
                new ForwardOptions(1000, 2000, true)));
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    /** A bare upstream: one thread per connection, running {@code handler} on its streams. */
    static final class RawUpstream implements AutoCloseable {
        final ServerSocket server;

        RawUpstream(BiConsumer<InputStream, OutputStream> handler) throws IOException {
            server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
            Thread acceptor = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        Thread t = new Thread(() -> {
                            try (s) {
                                handler.accept(s.getInputStream(), s.getOutputStream());
                            } catch (IOException ignored) {
                                // gone
                            }
                        });
                        t.setDaemon(true);
                        t.start();
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    static String readHead(InputStream in) {
        try {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            int c;
            while ((c = in.read()) >= 0) {
                b.write(c);
                String s = b.toString(StandardCharsets.ISO_8859_1);
                if (s.endsWith("\r\n\r\n")) {
                    return s;
                }
            }
            return b.toString(StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "";
        }
    }

    // ---- Connection may not name the fields that frame the body ----

    @Test
    void connectionOptionCannotStripContentLength() throws Exception {
        String smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
        try (RawHttp raw = new RawHttp(proxy.port())) {
            raw.send("POST /p HTTP/1.1\r\nHost: x\r\nConnection: Content-Length\r\nContent-Length: "
                    + smuggled.length() + "\r\n\r\n" + smuggled);
            RawHttp.Response r = raw.read();
            // The upstream read the would-be request as the body it is: it cannot also have run it.
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("b1 POST /p body=" + smuggled.length() + "\n");
        }
    }

    @Test
    void connectionOptionCannotStripTransferEncoding() throws Exception {
        String smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
        try (RawHttp raw = new RawHttp(proxy.port())) {
            raw.send("POST /p HTTP/1.1\r\nHost: x\r\nConnection: Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + Integer.toHexString(smuggled.length()) + "\r\n" + smuggled + "\r\n0\r\n\r\n");
            RawHttp.Response r = raw.read();
            // The upstream read the would-be request as the body it is: it cannot also have run it.
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("b1 POST /p body=" + smuggled.length() + "\n");
        }
    }

    // ---- absolute form ----

    @Test
    void absoluteFormTargetReplacesTheHostHeader() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.port())) {
            raw.send("GET http://example.test/abs?q=1 HTTP/1.1\r\nHost: other\r\n\r\n");
            assertThat(raw.read().body()).isEqualTo("b1 GET /abs?q=1 body=0\n");
        }
        assertThat(backend.requestHeaders().get(0).get("Host")).containsExactly("example.test");
    }

    @Test
    void anAbsoluteFormTargetNamesHttpOrHttpsAndNothingShorter() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.port())) {
            raw.send("GET https://example.test/abs HTTP/1.1\r\nHost: other\r\n\r\n");
            assertThat(raw.read().body()).isEqualTo("b1 GET /abs body=0\n");
        }
        assertThat(backend.requestHeaders().get(0).get("Host")).containsExactly("example.test");
        for (String scheme : List.of("h", "ht", "htt", "httpx", "ftp")) {
            try (RawHttp raw = new RawHttp(proxy.port())) {
                raw.send("GET " + scheme + "://example.test/abs HTTP/1.1\r\nHost: other\r\n\r\n");
                assertThat(raw.read().status()).as(scheme).isEqualTo(400);
            }
        }
        assertThat(backend.hits()).isEqualTo(1);
    }

    // ---- a malformed upstream head, then a retry elsewhere ----

    @Test
    void retryAfterMalformedUpstreamHeadIsNotCutShortByTheFirstConnectionClosing() throws Exception {
        try (RawUpstream garbage = new RawUpstream((in, out) -> {
            readHead(in);
            try {
                out.write("HTTP/1.1 2x0 Nope\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                in.read(); // wait for the proxy to close
            } catch (IOException ignored) {
                // closed
            }
        });
             ProxyHarness p = new ProxyHarness(new RoundRobinService("svc",
                     List.of(UpstreamTarget.of(garbage.url()), UpstreamTarget.of(backend.url())),
                     new ForwardOptions(1000, 2000, true)))) {
            try (RawHttp raw = new RawHttp(p.port())) {
                raw.send("GET /r HTTP/1.1\r\nHost: x\r\n\r\n");
                RawHttp.Response r = raw.read();
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("b1 GET /r body=0\n");
            }
        }
    }

    // ---- an early answer to a client still sending its body ----

    /**
     * Sends {@code head} and {@code body} through a proxy that refuses bodies over 1 KiB, as a simple
     * client does: the whole request first (a write the gateway breaks off is given up), then the
     * response. The gateway closes with body bytes unread, so the client's writes end in a reset;
     * the answer sent before it must still be readable.
     */
    private RawHttp.Response answerAfterSendingAWholeLargeBody(String head, byte[] body) throws Exception {
        io.outpost.middleware.Middleware limit = (ex, next) -> {
            ex.limitRequestBody(1024);
            next.proceed(ex);
        };
        try (ProxyHarness p = new ProxyHarness(new RoundRobinService("svc", List.of(UpstreamTarget.of(backend.url())),
                new ForwardOptions(1000, 2000, true)), limit);
             RawHttp raw = new RawHttp(p.port())) {
            try {
                raw.send(head);
                for (int at = 0; at < body.length; at += 65536) {
                    raw.send(java.util.Arrays.copyOfRange(body, at, Math.min(body.length, at + 65536)));
                }
            } catch (IOException stoppedWriting) {
                // the gateway stopped reading; the answer may still be there
            }
            RawHttp.Response r = raw.read();
            assertThat(raw.closedByPeer()).as("the connection ends after the answer").isTrue();
            return r;
        }
    }

    @Test
    void aClientStillSendingADeclaredTooLargeBodyReads413() throws Exception {
        byte[] body = new byte[64 << 20];
        RawHttp.Response r = answerAfterSendingAWholeLargeBody(
                "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length + "\r\n\r\n", body);
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.headers().get("connection")).isEqualTo("close");
    }

    @Test
    void aClientStillSendingAStreamedTooLargeBodyReads413() throws Exception {
        byte[] chunk = ("10000\r\n" + "x".repeat(0x10000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (int i = 0; i < 256; i++) {
            body.writeBytes(chunk);
        }
        body.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        RawHttp.Response r = answerAfterSendingAWholeLargeBody(
                "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", body.toByteArray());
        assertThat(r.status()).isEqualTo(413);
    }

    // ---- transfer codings of a response ----

    /** The client's view of a response whose upstream sent {@code te} and a body coded with it. */
    private RawHttp.Response responseWithTransferEncoding(String te, byte[] codedBody) throws Exception {
        try (RawUpstream coding = new RawUpstream((in, out) -> {
            readHead(in);
            try {
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: " + te + "\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.write(codedBody);
                out.flush();
            } catch (IOException ignored) {
                // closed
            }
        });
             ProxyHarness p = new ProxyHarness(new RoundRobinService("svc", List.of(UpstreamTarget.of(coding.url())),
                     new ForwardOptions(1000, 2000, true)));
             RawHttp raw = new RawHttp(p.port())) {
            raw.send("GET /coded HTTP/1.1\r\nHost: x\r\n\r\n");
            return raw.read();
        }
    }

    private static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream z = new java.util.zip.GZIPOutputStream(b)) {
            z.write(text.getBytes(StandardCharsets.US_ASCII));
        }
        return b.toByteArray();
    }

    private static byte[] chunked(byte[] body) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes((Integer.toHexString(body.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        b.writeBytes(body);
        b.writeBytes("\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return b.toByteArray();
    }

    @Test
    void aResponseWithATransferCodingOtherThanChunkedIsRefusedNotPassedOnWithoutItsCoding() throws Exception {
        // The gateway can not decode gzip as a transfer coding, and the client never offered to (TE is
        // hop-by-hop): relaying the coded bytes as a plain chunked body would hand the client garbage.
        RawHttp.Response both = responseWithTransferEncoding("gzip, chunked", chunked(gzip("hello")));
        assertThat(both.status()).isEqualTo(502);
        assertThat(both.body()).contains("unsupported Transfer-Encoding");

        RawHttp.Response closeDelimited = responseWithTransferEncoding("gzip", gzip("hello"));
        assertThat(closeDelimited.status()).isEqualTo(502);
        assertThat(closeDelimited.body()).contains("unsupported Transfer-Encoding");
    }

    @Test
    void aChunkedResponseStillPassesThrough() throws Exception {
        RawHttp.Response r = responseWithTransferEncoding("Chunked", chunked("hello".getBytes(StandardCharsets.US_ASCII)));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.headers().get("transfer-encoding")).isEqualTo("chunked");
        assertThat(r.body()).isEqualTo("hello");
    }

    // ---- resending a request an upstream may have acted on ----

    /**
     * Sends {@code request} through a proxy whose first endpoint reads the request and closes without
     * answering (it may have acted on it), and whose second is the healthy backend.
     */
    private int statusAfterAnUpstreamClosedOnTheRequest(String request) throws Exception {
        try (RawUpstream vanishing = new RawUpstream((in, out) -> readHead(in));
             ProxyHarness p = new ProxyHarness(new RoundRobinService("svc",
                     List.of(UpstreamTarget.of(vanishing.url()), UpstreamTarget.of(backend.url())),
                     new ForwardOptions(1000, 2000, true)));
             RawHttp raw = new RawHttp(p.port())) {
            raw.send(request);
            return raw.read().status();
        }
    }

    @Test
    void aRequestThatMayHaveRunIsResentOnlyWhenThatIsSafe() throws Exception {
        assertThat(statusAfterAnUpstreamClosedOnTheRequest("GET /r HTTP/1.1\r\nHost: x\r\n\r\n"))
                .as("idempotent").isEqualTo(200);
        assertThat(statusAfterAnUpstreamClosedOnTheRequest(
                "DELETE /r HTTP/1.1\r\nHost: x\r\n\r\n")).as("idempotent").isEqualTo(200);
        assertThat(statusAfterAnUpstreamClosedOnTheRequest(
                "POST /r HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")).as("not idempotent").isEqualTo(502);
        assertThat(statusAfterAnUpstreamClosedOnTheRequest(
                "POST /r HTTP/1.1\r\nHost: x\r\nIdempotency-Key: k1\r\nContent-Length: 0\r\n\r\n"))
                .as("the upstream can drop the duplicate").isEqualTo(200);
        assertThat(backend.requestHeaders()).hasSize(3);
    }

    @Test
    void aRequestThatNeverReachedAnUpstreamIsResentWhateverItsMethod() throws Exception {
        int refused;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            refused = s.getLocalPort();
        }
        try (ProxyHarness p = new ProxyHarness(new RoundRobinService("svc",
                     List.of(UpstreamTarget.of("http://127.0.0.1:" + refused), UpstreamTarget.of(backend.url())),
                     new ForwardOptions(1000, 2000, true)));
             RawHttp raw = new RawHttp(p.port())) {
            raw.send("POST /r HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
            assertThat(raw.read().status()).isEqualTo(200);
        }
    }

    // ---- backpressure: an upstream that answers before reading the body ----

    @Test
    void clientKeepsBeingReadAfterAnUpstreamAnsweredWithoutReadingTheBody() throws Exception {
        try (RawUpstream early = new RawUpstream((in, out) -> {
            readHead(in);
            try {
                out.write(("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                Backend.drain(in);
            } catch (IOException ignored) {
                // closed
            }
        });
             ProxyHarness p = new ProxyHarness(new RoundRobinService("svc",
                     List.of(UpstreamTarget.of(early.url())), new ForwardOptions(1000, 5000, true)),
                     (Middleware) (ex, next) -> {
                         ex.bufferRequestBody(64L << 20);
                         next.proceed(ex);
                     })) {
            try (RawHttp raw = new RawHttp(p.port())) {
                int size = 32 << 20;
                raw.send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: " + size + "\r\n\r\n");
                raw.send(new byte[size]);
                RawHttp.Response first = raw.read();
                assertThat(first.status()).isEqualTo(413);
                assertThat(first.header("connection")).isNull();
                raw.socket().setSoTimeout(5000);
                raw.send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(raw.read().status()).as("the next request on the kept-alive connection").isEqualTo(413);
            }
        }
    }

    // ---- the client-facing encoder's HEAD bookkeeping ----

    @Test
    void errorAfterPipelinedHeadKeepsItsBody() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.port())) {
            raw.send("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE\r\n\r\n");
            assertThat(raw.readHead().status()).isEqualTo(200);
            RawHttp.Response bad = raw.read();
            assertThat(bad.status()).isEqualTo(400);
            assertThat(bad.body()).contains("\"status\":400");
        }
    }

    // ---- trailers get the checks fields get ----

    /** An upstream that reads one chunked request with its trailer section, keeps its bytes, and answers 200. */
    private static RawUpstream chunkedSink(StringBuilder seen) throws IOException {
        return new RawUpstream((in, out) -> {
            try {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                int ends = 0;
                int c;
                while (ends < 2 && (c = in.read()) >= 0) {
                    b.write(c);
                    if (b.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                        ends++;
                    }
                }
                synchronized (seen) {
                    seen.append(b.toString(StandardCharsets.ISO_8859_1));
                }
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            } catch (IOException ignored) {
                // closed
            }
        });
    }

    private RawHttp.Response sendChunkedWithTrailer(String trailer, StringBuilder seen) throws Exception {
        try (RawUpstream sink = chunkedSink(seen);
             ProxyHarness p = new ProxyHarness(new RoundRobinService("svc",
                     List.of(UpstreamTarget.of(sink.url())), new ForwardOptions(1000, 2000, true)));
             RawHttp raw = new RawHttp(p.port())) {
            raw.send("POST /t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n"
                    + trailer + "\r\n\r\n");
            return raw.read();
        }
    }

    @Test
    void requestWithAValidTrailerIsForwarded() throws Exception {
        StringBuilder seen = new StringBuilder();
        assertThat(sendChunkedWithTrailer("X-T: a", seen).status()).isEqualTo(200);
        assertThat(seen.toString()).contains("\r\n0\r\nX-T: a\r\n\r\n");
    }

    @Test
    void requestTrailerWithBareCrIsRejected() throws Exception {
        StringBuilder seen = new StringBuilder();
        RawHttp.Response r = sendChunkedWithTrailer("X-T: a\rContent-Length: 5", seen);
        assertThat(seen.toString()).as("what the upstream received").doesNotContain("\r" + "Content-Length");
        assertThat(r.status()).isEqualTo(400);
    }

    @Test
    void requestTrailerWithSpaceBeforeColonIsRejected() throws Exception {
        StringBuilder seen = new StringBuilder();
        RawHttp.Response r = sendChunkedWithTrailer("X-T : a", seen);
        assertThat(r.status()).isEqualTo(400);
    }

    @Test
    void requestTrailerWithObsFoldIsRejected() throws Exception {
        StringBuilder seen = new StringBuilder();
        RawHttp.Response r = sendChunkedWithTrailer("X-T: a\r\n b: c", seen);
        assertThat(r.status()).isEqualTo(400);
    }

    // ---- HTTP/1.0 with Transfer-Encoding ----

    @Test
    void http10RequestWithTransferEncodingIsRejected() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.port())) {
            raw.send("POST /t HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
            RawHttp.Response r = raw.read();
            assertThat(r.status()).isEqualTo(400);
            assertThat(raw.closedByPeer()).isTrue();
        }
        assertThat(backend.hits()).isZero();
    }

    // ---- HTTP/1.0 keep-alive ----

    @Test
    void http10KeepAliveClientIsToldTheConnectionPersists() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.port())) {
            raw.send("GET /k HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n");
            RawHttp.Response r = raw.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("connection")).isEqualToIgnoringCase("keep-alive");
            raw.send("GET /k2 HTTP/1.0\r\nHost: x\r\n\r\n");
            assertThat(raw.read().body()).isEqualTo("b1 GET /k2 body=0\n");
        }
    }

    // ---- a client that stops sending its body ----

    @Test
    void clientThatStallsMidBodyIsTimedOutAndItsUpstreamReleased() throws Exception {
        GatewayContext context = new GatewayContext(Transport.best(),
                new io.netty.buffer.PooledByteBufAllocator(true), System::nanoTime, 60_000);
        RoundRobinService service = new RoundRobinService("svc", List.of(UpstreamTarget.of(backend.url())),
                ForwardOptions.DEFAULTS);
        RouteTarget target = new RouteTarget("all", "svc", ex -> service.handle((ProxyExchange) ex));
        context.routing((ep, ex) -> target);
        ProxyServer server = new ProxyServer(context, Transport.best(), 1,
                List.of(new EntryPoint("web", new java.net.InetSocketAddress("127.0.0.1", 0), 300)));
        server.start();
        try (RawHttp raw = new RawHttp(server.entryPoints().get(0).localAddress().getPort())) {
            raw.send("POST /stall HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
                    .until(() -> context.upstreamConnections() == 1);
            // Three idle periods without a byte from a client that owes seven.
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).untilAsserted(() -> {
                assertThat(context.inFlight()).isZero();
                assertThat(context.upstreamConnections()).isZero();
            });
            assertThat(raw.read().status()).isEqualTo(408);
            assertThat(raw.closedByPeer()).isTrue();
        } finally {
            server.shutdown(java.time.Duration.ZERO, System::nanoTime);
        }
    }
}
