package io.outpost.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ServerCodecTest {

    private final EmbeddedChannel client = new EmbeddedChannel(new ServerCodec());
    private final List<Object> read = new ArrayList<>();

    @AfterEach
    void tearDown() {
        read.forEach(ReferenceCountUtil::release);
        client.finishAndReleaseAll();
    }

    /** Bytes in a pooled buffer: leak detection tracks it, and what the codec slices from it. */
    private static ByteBuf bytes(String s) {
        return ByteBufUtil.encodeString(ByteBufAllocator.DEFAULT, CharBuffer.wrap(s), StandardCharsets.ISO_8859_1);
    }

    private List<Object> receive(String bytes) {
        client.writeInbound(bytes(bytes));
        List<Object> out = new ArrayList<>();
        Object m;
        while ((m = client.readInbound()) != null) {
            out.add(m);
            read.add(m);
        }
        return out;
    }

    /** The request head as the upstream connection would send it. */
    private static String upstreamHead(HttpRequest request) {
        EmbeddedChannel upstream = new EmbeddedChannel(new UpstreamCodec());
        upstream.writeOutbound(new io.netty.handler.codec.http.DefaultFullHttpRequest(request.protocolVersion(),
                request.method(), request.uri(), Unpooled.EMPTY_BUFFER, request.headers(),
                io.netty.handler.codec.http.EmptyHttpHeaders.INSTANCE));
        ByteBuf b = upstream.readOutbound();
        String s = b.toString(StandardCharsets.ISO_8859_1);
        b.release();
        upstream.finishAndReleaseAll();
        return s;
    }

    @Test
    void fieldsGoUpstreamAsTheyCameWithForwardingHeadersAdded() {
        List<Object> m = receive("\r\nGET /a?b=c HTTP/1.1\r\nHost: shop.example\r\nX-Mixed-Case:  v\u00e9 \r\n"
                + "X-Forwarded-For: 6.6.6.6\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s\r\nx-real-IP: 6.6.6.6\r\n\r\n");
        HttpRequest request = (HttpRequest) m.get(0);
        assertThat(request.decoderResult().isSuccess()).isTrue();
        assertThat(request.method()).isEqualTo(HttpMethod.GET);
        assertThat(request.uri()).isEqualTo("/a?b=c");
        assertThat(m.get(1)).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
        ProxyHeaders.removeRequestHopByHop(request.headers());
        ProxyHeaders.addForwarded(request.headers(), "10.0.0.1", false, "shop.example", false);
        assertThat(upstreamHead(request)).isEqualTo("GET /a?b=c HTTP/1.1\r\nHost: shop.example\r\n"
                + "X-Mixed-Case:  v\u00e9\r\nx-forwarded-for: 10.0.0.1\r\nx-forwarded-proto: http\r\n"
                + "x-forwarded-host: shop.example\r\nx-forwarded-port: 80\r\nx-real-ip: 10.0.0.1\r\n"
                + "via: 1.1 outpost\r\n\r\n");
    }

    @Test
    void anUntrustedClientsForwardedFieldsGoWhileFieldsWithSimilarNamesStay() {
        List<Object> m = receive("GET / HTTP/1.1\r\nHost: shop.example\r\nFORWARDED: for=6.6.6.6\r\n"
                + "From: a@example.com\r\nForwarded-Extra: 1\r\nX-Forwarded: 2\r\nforwarded: proto=https\r\n\r\n");
        HttpRequest request = (HttpRequest) m.get(0);
        ProxyHeaders.addForwarded(request.headers(), "10.0.0.1", false, "shop.example", false);
        assertThat(upstreamHead(request)).isEqualTo("GET / HTTP/1.1\r\nHost: shop.example\r\n"
                + "From: a@example.com\r\nForwarded-Extra: 1\r\nX-Forwarded: 2\r\n"
                + "x-forwarded-for: 10.0.0.1\r\nx-forwarded-proto: http\r\nx-forwarded-host: shop.example\r\n"
                + "x-forwarded-port: 80\r\nx-real-ip: 10.0.0.1\r\nvia: 1.1 outpost\r\n\r\n");
    }

    @Test
    void underscoreFormsOfForwardingFieldsGoFromRawAndOrdinaryHeadersAlike() {
        String fields = "X_Forwarded_For: 6.6.6.6\r\nx_real_ip: 6.6.6.6\r\nX_Other: 1\r\nX-Forwarded_Host: evil\r\n";
        HttpRequest raw = (HttpRequest) receive("GET / HTTP/1.1\r\nHost: shop.example\r\n" + fields + "\r\n").get(0);
        io.netty.handler.codec.http.DefaultHttpHeaders ordinary = new io.netty.handler.codec.http.DefaultHttpHeaders();
        fields.lines().forEach(l -> ordinary.add(l.substring(0, l.indexOf(':')), l.substring(l.indexOf(':') + 2)));

        for (io.netty.handler.codec.http.HttpHeaders headers : List.of(raw.headers(), ordinary)) {
            ProxyHeaders.addForwarded(headers, "10.0.0.1", false, "shop.example", false);
            assertThat(headers.names()).as(headers.getClass().getSimpleName())
                    .doesNotContain("X_Forwarded_For", "x_real_ip", "X-Forwarded_Host").contains("X_Other");
            assertThat(headers.getAll("x-forwarded-for")).containsExactly("10.0.0.1");
        }
    }

    @Test
    void aRequestsConnectionOptionsSpareTheForwardingFieldsOfRawAndOrdinaryHeadersAlike() {
        String fields = "Connection: keep-alive, x-forwarded-FOR, X_Real_Ip\r\nConnection: X-Secret, Forwarded\r\n"
                + "X-Forwarded-For: 6.6.6.6\r\nX_Real_Ip: 6.6.6.6\r\nForwarded: for=6.6.6.6\r\nX-Secret: s\r\n";
        HttpRequest raw = (HttpRequest) receive("GET / HTTP/1.1\r\nHost: shop.example\r\n" + fields + "\r\n").get(0);
        io.netty.handler.codec.http.DefaultHttpHeaders ordinary = new io.netty.handler.codec.http.DefaultHttpHeaders();
        fields.lines().forEach(l -> ordinary.add(l.substring(0, l.indexOf(':')), l.substring(l.indexOf(':') + 2)));

        for (io.netty.handler.codec.http.HttpHeaders headers : List.of(raw.headers(), ordinary)) {
            ProxyHeaders.removeRequestHopByHop(headers);
            assertThat(headers.names()).as(headers.getClass().getSimpleName())
                    .contains("X-Forwarded-For", "X_Real_Ip", "Forwarded").doesNotContain("Connection", "X-Secret");
        }
    }

    /** A response's forwarding fields mean nothing to the gateway: its Connection options apply to them. */
    @Test
    void aResponsesConnectionOptionsRemoveForwardingFieldsToo() {
        io.netty.handler.codec.http.DefaultHttpHeaders headers = new io.netty.handler.codec.http.DefaultHttpHeaders();
        headers.add("Connection", "X-Forwarded-For").add("X-Forwarded-For", "6.6.6.6").add("X-Kept", "1");
        ProxyHeaders.removeHopByHop(headers);
        assertThat(headers.names()).containsExactly("X-Kept");
    }

    @Test
    void aTrustedClientsForwardedFieldsStayAsSent() {
        List<Object> m = receive("GET / HTTP/1.1\r\nHost: shop.example\r\nForwarded: for=6.6.6.6\r\n\r\n");
        HttpRequest request = (HttpRequest) m.get(0);
        ProxyHeaders.addForwarded(request.headers(), "10.0.0.1", false, "shop.example", true);
        assertThat(upstreamHead(request)).startsWith("GET / HTTP/1.1\r\nHost: shop.example\r\nForwarded: for=6.6.6.6\r\n");
    }

    @Test
    void pipelinedRequestsWithLengthAndChunkedBodies() {
        List<Object> m = receive("POST /one HTTP/1.1\nHost: x\nContent-Length: 3\n\nabc"
                + "PUT /two HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "2\r\nde\r\n1;x=y\r\nf\r\n0\r\nX-Sum: 1\r\n\r\n");
        assertThat(((HttpRequest) m.get(0)).method()).isEqualTo(HttpMethod.POST);
        assertThat(((LastHttpContent) m.get(1)).content().toString(StandardCharsets.US_ASCII)).isEqualTo("abc");
        HttpRequest second = (HttpRequest) m.get(2);
        assertThat(second.method()).isEqualTo(HttpMethod.PUT);
        StringBuilder body = new StringBuilder();
        for (Object o : m.subList(3, m.size())) {
            body.append(((HttpContent) o).content().toString(StandardCharsets.US_ASCII));
        }
        assertThat(body.toString()).isEqualTo("def");
        LastHttpContent last = (LastHttpContent) m.get(m.size() - 1);
        assertThat(last.trailingHeaders().get("x-sum")).isEqualTo("1");
    }

    @Test
    void oversizeLinesAndHeadsFailWithTheirOwnExceptions() {
        List<Object> m = receive("GET /" + "a".repeat(ServerCodec.MAX_INITIAL_LINE) + " HTTP/1.1\r\n");
        assertThat(((HttpRequest) m.get(0)).decoderResult().cause()).isInstanceOf(TooLongHttpLineException.class);

        EmbeddedChannel other = new EmbeddedChannel(new ServerCodec());
        other.writeInbound(bytes("GET / HTTP/1.1\r\nX: " + "b".repeat(ServerCodec.MAX_HEADER_SIZE) + "\r\n\r\n"));
        HttpRequest r = other.readInbound();
        assertThat(r.decoderResult().cause()).isInstanceOf(TooLongHttpHeaderException.class);
        other.finishAndReleaseAll();
    }

    @Test
    void aHeadWhoseLineAndFieldsAreBothAtTheirLimitsIsAccepted() {
        String line = "GET /" + "a".repeat(ServerCodec.MAX_INITIAL_LINE - "GET / HTTP/1.1\r".length()) + " HTTP/1.1\r\n";
        String host = "Host: x\r\n";
        String big = "X: " + "b".repeat(ServerCodec.MAX_HEADER_SIZE - host.length() - "X: \r\n\r\n".length()) + "\r\n";
        List<Object> m = receive(line + host + big + "\r\n");
        assertThat(((HttpRequest) m.get(0)).decoderResult().isSuccess()).isTrue();
        assertThat(m.get(1)).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
    }

    @Test
    void aHeadArrivingByteByByteIsScannedOnceNotOncePerRead() {
        StringBuilder text = new StringBuilder("GET / HTTP/1.1\r\nHost: x\r\n");
        while (text.length() < ServerCodec.MAX_HEADER_SIZE - 100) {
            text.append("X-A: b\r\n");
        }
        byte[] head = text.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
        CountingAllocator counting = new CountingAllocator();
        client.config().setAllocator(counting);
        for (byte b : head) {
            client.writeInbound(counting.buffer(1).writeByte(b));
        }
        HttpRequest request = client.readInbound();
        assertThat(request.decoderResult().isSuccess()).isTrue();
        assertThat(request.headers().getAll("x-a")).hasSizeGreaterThan(1000);
        // Rescanning the whole head at each read would look at about head.length² / 2 bytes.
        assertThat(counting.looked).as("bytes looked at for a head of %d", head.length).isLessThan(4L * head.length);
    }

    @Test
    void chunkLinesAndTrailersArrivingByteByByteAreScannedOnce() {
        String head = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
        String ext = "x".repeat(MessageDecoder.MAX_CHUNK_LINE - 10);
        String trailer = "X-T: " + "t".repeat(MessageDecoder.MAX_CHUNK_LINE - 10);
        byte[] body = ("1;" + ext + "\r\na\r\n0;" + ext + "\r\n" + trailer + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        assertThat(((HttpRequest) receive(head).get(0)).decoderResult().isSuccess()).isTrue();
        CountingAllocator counting = new CountingAllocator();
        client.config().setAllocator(counting);
        LastHttpContent last = null;
        for (byte b : body) {
            client.writeInbound(counting.buffer(1).writeByte(b));
            Object o;
            while ((o = client.readInbound()) != null) {
                last = o instanceof LastHttpContent l ? l : last;
                ReferenceCountUtil.release(o);
            }
        }
        assertThat(last.decoderResult().isSuccess()).isTrue();
        assertThat(last.trailingHeaders().get("x-t")).hasSize(MessageDecoder.MAX_CHUNK_LINE - 10);
        // Rescanning a line at each read would look at about the square of its length.
        assertThat(counting.looked).as("bytes looked at for a body of %d", body.length).isLessThan(4L * body.length);
    }

    /**
     * Heap buffers that count the bytes read from them one by one, or searched: given to a channel, it
     * counts what its decoder looks at, in the pieces it is given and the buffers it gathers them in.
     */
    private static final class CountingAllocator extends io.netty.buffer.AbstractByteBufAllocator {
        long looked;

        CountingAllocator() {
            super(false);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            return new io.netty.buffer.UnpooledHeapByteBuf(this, initialCapacity, maxCapacity) {
                @Override
                protected byte _getByte(int index) {
                    looked++;
                    return super._getByte(index);
                }

                @Override
                public int indexOf(int fromIndex, int toIndex, byte value) {
                    int found = super.indexOf(fromIndex, toIndex, value);
                    looked += Math.abs((found < 0 ? toIndex : found) - fromIndex);
                    return found;
                }
            };
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            return newHeapBuffer(initialCapacity, maxCapacity);
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
    }

    @Test
    void malformedHeadsFail() {
        for (String bad : List.of("GET / HTTP/2.0\r\n\r\n", "G(T / HTTP/1.1\r\n\r\n", "GET  / HTTP/1.1\r\n\r\n",
                "GET /\u0001 HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\nX: a\r\n  fold\r\n\r\n",
                "GET / HTTP/1.1\r\nX : a\r\n\r\n", "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
                "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n")) {
            EmbeddedChannel ch = new EmbeddedChannel(new ServerCodec());
            ch.writeInbound(bytes(bad));
            HttpRequest r = ch.readInbound();
            assertThat(r.decoderResult().isFailure()).as(bad).isTrue();
            assertThat(r.decoderResult().cause()).as(bad).isInstanceOf(IllegalArgumentException.class);
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void aCodingTheGatewayDoesNotImplementIsToldApartFromBrokenFraming() {
        for (String coded : List.of("Transfer-Encoding: gzip, chunked", "Transfer-Encoding: x-custom;a=\"1,2\"\t, chunked",
                "Transfer-Encoding: gzip\r\nTransfer-Encoding: CHUNKED")) {
            EmbeddedChannel ch = new EmbeddedChannel(new ServerCodec());
            ch.writeInbound(bytes("POST /a HTTP/1.1\r\n" + coded + "\r\n\r\n0\r\n\r\n"));
            HttpRequest r = ch.readInbound();
            assertThat(r.decoderResult().cause()).as(coded)
                    .isInstanceOf(ServerCodec.NotImplementedCodingException.class)
                    .hasMessageContaining(coded.contains("x-custom") ? "x-custom" : "gzip");
            ch.finishAndReleaseAll();
        }
        for (String broken : List.of("gzip", "chunked, gzip", "chunked, chunked", "gzip, chunked\r\nTransfer-Encoding: chunked",
                "", ", chunked", "gzip, , chunked", "gzip;, chunked", "gzip;a=\"1, chunked", "chunked;a=1", "gzip chunked")) {
            EmbeddedChannel ch = new EmbeddedChannel(new ServerCodec());
            ch.writeInbound(bytes("POST /a HTTP/1.1\r\nTransfer-Encoding: " + broken + "\r\n\r\n0\r\n\r\n"));
            HttpRequest r = ch.readInbound();
            assertThat(r.decoderResult().cause()).as(broken).isInstanceOf(HeadFields.MalformedHeadException.class);
            ch.finishAndReleaseAll();
        }
        assertThat(((HttpRequest) receive("POST /a HTTP/1.1\r\nTransfer-Encoding:  Chunked \r\n\r\n").get(0))
                .decoderResult().isSuccess()).isTrue();
    }

    @Test
    void aHeadRefusedAfterItsRequestLineKeepsThatLine() {
        for (String bad : List.of("POST /a?b=1 HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
                "POST /a?b=1 HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
                "POST /a?b=1 HTTP/1.1\r\nX : a\r\n\r\n",
                "POST /a?b=1 HTTP/1.1\r\nX: " + "b".repeat(ServerCodec.MAX_HEADER_SIZE) + "\r\n\r\n",
                "POST /a?b=1 HTTP/1.1\r\nX: " + "b".repeat(ServerCodec.MAX_HEADER_SIZE + ServerCodec.MAX_INITIAL_LINE))) {
            EmbeddedChannel ch = new EmbeddedChannel(new ServerCodec());
            ch.writeInbound(Unpooled.copiedBuffer(bad, StandardCharsets.ISO_8859_1));
            HttpRequest r = ch.readInbound();
            assertThat(r.decoderResult().isFailure()).as(bad).isTrue();
            assertThat(((ServerCodec.RefusedHead) r).lineRead()).as(bad).isTrue();
            assertThat(r.method()).as(bad).isEqualTo(HttpMethod.POST);
            assertThat(r.uri()).as(bad).isEqualTo("/a?b=1");
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void aHeadRefusedBeforeItsLineWasReadKeepsTheMethodItStartsWithAndItsAnswerHasNoBody() {
        for (String bad : List.of("HEAD /" + "a".repeat(ServerCodec.MAX_INITIAL_LINE) + " HTTP/1.1\r\n",
                "HEAD / HTTP/2.0\r\n\r\n",
                "HEAD / HTTP/3.0\r\nX: " + "b".repeat(ServerCodec.MAX_HEADER_SIZE) + "\r\n\r\n")) {
            EmbeddedChannel ch = new EmbeddedChannel(new ServerCodec());
            ch.writeInbound(Unpooled.copiedBuffer(bad, StandardCharsets.ISO_8859_1));
            HttpRequest r = ch.readInbound();
            assertThat(r.decoderResult().isFailure()).as(bad).isTrue();
            assertThat(((ServerCodec.RefusedHead) r).lineRead()).as(bad).isFalse();
            assertThat(r.method()).as(bad).isEqualTo(HttpMethod.HEAD);
            ch.writeOutbound(LocalResponses.error(ByteBufAllocator.DEFAULT,
                    io.netty.handler.codec.http.HttpResponseStatus.BAD_REQUEST, "refused"));
            StringBuilder written = new StringBuilder();
            ByteBuf b;
            while ((b = ch.readOutbound()) != null) {
                written.append(b.toString(StandardCharsets.ISO_8859_1));
                b.release();
            }
            assertThat(written.toString()).as(bad).startsWith("HTTP/1.1 400 ").endsWith("\r\n\r\n");
            ch.finishAndReleaseAll();
        }
        for (String bad : List.of("GARBAGE\r\n\r\n", "G(T / HTTP/1.1\r\n\r\n", " HEAD / HTTP/1.1\r\n\r\n")) {
            EmbeddedChannel ch = new EmbeddedChannel(new ServerCodec());
            ch.writeInbound(Unpooled.copiedBuffer(bad, StandardCharsets.ISO_8859_1));
            HttpRequest r = ch.readInbound();
            assertThat(r.method()).as(bad).isEqualTo(HttpMethod.GET); // no method: the answer keeps its body
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void aHeadRefusedInItsRequestLineOrAfterAGoodRequestKeepsNoLine() {
        for (String bad : List.of("GET / HTTP/2.0\r\n\r\n", "G(T / HTTP/1.1\r\n\r\n",
                "GET /" + "a".repeat(ServerCodec.MAX_INITIAL_LINE) + " HTTP/1.1\r\n",
                "GET / HTTP/3.0\r\nX: " + "b".repeat(ServerCodec.MAX_HEADER_SIZE) + "\r\n\r\n",
                "GET /ok HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE\r\n\r\n")) {
            EmbeddedChannel ch = new EmbeddedChannel(new ServerCodec());
            ch.writeInbound(Unpooled.copiedBuffer(bad, StandardCharsets.ISO_8859_1));
            Object m;
            HttpRequest failed = null;
            while ((m = ch.readInbound()) != null) {
                if (m instanceof HttpRequest r && r.decoderResult().isFailure()) {
                    failed = r;
                }
                ReferenceCountUtil.release(m);
            }
            assertThat(failed).as(bad).isNotNull();
            assertThat(((ServerCodec.RefusedHead) failed).lineRead()).as(bad).isFalse();
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void brokenChunkFramingEndsInAFailedLastContent() {
        List<Object> m = receive("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n");
        LastHttpContent last = (LastHttpContent) m.get(m.size() - 1);
        assertThat(last.decoderResult().isFailure()).isTrue();
        assertThat(receive("GET / HTTP/1.1\r\nHost: x\r\n\r\n")).isEmpty();
    }
}
