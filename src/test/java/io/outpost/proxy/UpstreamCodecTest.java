package io.outpost.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class UpstreamCodecTest {

    private final EmbeddedChannel upstream = new EmbeddedChannel(new UpstreamCodec());
    private final List<Object> released = new ArrayList<>();

    @AfterEach
    void tearDown() {
        released.forEach(io.netty.util.ReferenceCountUtil::release);
        upstream.finishAndReleaseAll();
    }

    private void send(HttpMethod method) {
        upstream.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, "/", Unpooled.EMPTY_BUFFER));
        ((ByteBuf) upstream.readOutbound()).release();
    }

    /** Bytes in a pooled buffer: leak detection tracks it, and what the codec slices from it. */
    private static ByteBuf bytes(String s) {
        return ByteBufUtil.encodeString(ByteBufAllocator.DEFAULT, CharBuffer.wrap(s), StandardCharsets.ISO_8859_1);
    }

    private void receive(String bytes) {
        upstream.writeInbound(bytes(bytes));
    }

    private List<Object> messages() {
        List<Object> out = new ArrayList<>();
        Object m;
        while ((m = upstream.readInbound()) != null) {
            out.add(m);
            released.add(m);
        }
        return out;
    }

    private static String body(List<Object> messages) {
        StringBuilder sb = new StringBuilder();
        for (Object m : messages) {
            if (m instanceof HttpContent c) {
                sb.append(c.content().toString(StandardCharsets.ISO_8859_1));
            }
        }
        return sb.toString();
    }

    /** What the client would receive for this response after the proxy's rewriting. */
    private static String toClient(HttpResponse head, LastHttpContent last, HttpMethod method) {
        DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, "/");
        ProxyHeaders.prepareResponse(head, request);
        ArrayDeque<HttpMethod> methods = new ArrayDeque<>();
        methods.add(method);
        EmbeddedChannel client = new EmbeddedChannel(new ServerCodec.ResponseEncoder(methods));
        client.writeOutbound(new DefaultFullHttpResponse(head.protocolVersion(), head.status(), last.content().retain(),
                head.headers(), last.trailingHeaders()));
        StringBuilder sb = new StringBuilder();
        ByteBuf b;
        while ((b = client.readOutbound()) != null) {
            sb.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        client.finishAndReleaseAll();
        request.release();
        return sb.toString();
    }

    @Test
    void contentLengthBodyAndFieldsPassThroughByteForByte() {
        send(HttpMethod.GET);
        receive("HTTP/1.1 200 OK\r\nX-Odd-CASE:  keeps\tits spacing \r\nConnection: keep-alive, X-Hop\r\n"
                + "X-Hop: gone\r\nKeep-Alive: timeout=5\r\nX-Text: caf\u00e9\r\nContent-Length: 5\r\n\r\nhello");
        List<Object> m = messages();
        assertThat(m).hasSize(2);
        HttpResponse head = (HttpResponse) m.get(0);
        assertThat(head.decoderResult().isSuccess()).isTrue();
        assertThat(head.status().code()).isEqualTo(200);
        assertThat(head.headers()).isInstanceOf(RawHeaders.class);
        assertThat(head.headers().get("x-odd-case")).isEqualTo("keeps\tits spacing");
        assertThat(m.get(1)).isInstanceOf(LastHttpContent.class);
        assertThat(body(m)).isEqualTo("hello");

        String out = toClient(head, (LastHttpContent) m.get(1), HttpMethod.GET);
        assertThat(out).isEqualTo("HTTP/1.1 200 OK\r\nX-Odd-CASE:  keeps\tits spacing\r\nX-Text: caf\u00e9\r\n"
                + "Content-Length: 5\r\nvia: 1.1 outpost\r\n\r\nhello");
        assertThat(((RawHeaders) head.headers()).raw()).isTrue();
    }

    @Test
    void splitAcrossReadsOneByteAtATime() {
        send(HttpMethod.GET);
        String response = "HTTP/1.1 201 Created\nContent-Length: 3\nVia: 1.0 cache\n\nabc";
        for (char c : response.toCharArray()) {
            receive(String.valueOf(c));
        }
        List<Object> m = messages();
        HttpResponse head = (HttpResponse) m.get(0);
        assertThat(head.status().code()).isEqualTo(201);
        assertThat(head.headers().get(HttpHeaderNames.VIA)).isEqualTo("1.0 cache");
        assertThat(body(m)).isEqualTo("abc");
        assertThat(m.get(m.size() - 1)).isInstanceOf(LastHttpContent.class);
    }

    @Test
    void chunkedBodyIsDechunkedWithTrailersAndContentLengthDropped() {
        send(HttpMethod.GET);
        receive("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\nContent-Length: 99\r\n\r\n"
                + "5;ext=1\r\nhello\r\nA\r\n, chunked!\r\n0\r\nX-Checksum: 42\r\n\r\n");
        List<Object> m = messages();
        HttpResponse head = (HttpResponse) m.get(0);
        assertThat(head.headers().contains(HttpHeaderNames.CONTENT_LENGTH)).isFalse();
        assertThat(body(m)).isEqualTo("hello, chunked!");
        LastHttpContent last = (LastHttpContent) m.get(m.size() - 1);
        assertThat(last.trailingHeaders().get("X-Checksum")).isEqualTo("42");
    }

    @Test
    void repeatedIdenticalContentLengthsReachTheClientAsOne() {
        send(HttpMethod.GET);
        receive("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: 1\r\ncontent-length: 2\r\n\r\nab");
        List<Object> m = messages();
        HttpResponse head = (HttpResponse) m.get(0);
        assertThat(head.headers().getAll(HttpHeaderNames.CONTENT_LENGTH)).containsExactly("2");
        assertThat(body(m)).isEqualTo("ab");
        assertThat(toClient(head, (LastHttpContent) m.get(m.size() - 1), HttpMethod.GET))
                .isEqualTo("HTTP/1.1 200 OK\r\nX-A: 1\r\ncontent-length: 2\r\nvia: 1.1 outpost\r\n\r\nab");
    }

    @Test
    void aBodyWithATransferCodingBesidesChunkedIsAMalformedHead() {
        send(HttpMethod.GET);
        receive("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nxxxxx\r\n0\r\n\r\n");
        HttpResponse head = (HttpResponse) messages().get(0);
        assertThat(head.decoderResult().cause()).hasMessageContaining("unsupported Transfer-Encoding");

        // Without a body there is nothing to decode: a HEAD response's fields describe a GET's.
        EmbeddedChannel other = new EmbeddedChannel(new UpstreamCodec());
        other.writeOutbound(new io.netty.handler.codec.http.DefaultFullHttpRequest(HttpVersion.HTTP_1_1,
                HttpMethod.HEAD, "/", io.netty.buffer.Unpooled.EMPTY_BUFFER));
        io.netty.util.ReferenceCountUtil.release(other.readOutbound());
        other.writeInbound(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"));
        HttpResponse headOfHead = other.readInbound();
        assertThat(headOfHead.decoderResult().isSuccess()).isTrue();
        other.finishAndReleaseAll();
    }

    @Test
    void pipelinedResponsesInOneRead() {
        send(HttpMethod.GET);
        send(HttpMethod.HEAD);
        send(HttpMethod.GET);
        receive("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nab"
                + "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
                + "HTTP/1.1 204 No Content\r\n\r\n");
        List<Object> m = messages();
        assertThat(m).hasSize(6);
        assertThat(((HttpContent) m.get(1)).content().toString(StandardCharsets.US_ASCII)).isEqualTo("ab");
        assertThat(m.get(3)).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT); // HEAD: no body despite the length
        assertThat(((HttpResponse) m.get(4)).status().code()).isEqualTo(204);
        assertThat(m.get(5)).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
    }

    @Test
    void informationalResponsesPrecedeTheFinalOne() {
        send(HttpMethod.POST);
        receive("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n");
        List<Object> m = messages();
        assertThat(m).hasSize(4);
        assertThat(((HttpResponse) m.get(0)).status().code()).isEqualTo(100);
        assertThat(((HttpResponse) m.get(2)).status().code()).isEqualTo(304);
    }

    @Test
    void nothingAfterASwitchOfProtocolsIsReadAsHttpEvenInAnswerToHead() {
        send(HttpMethod.HEAD);
        receive("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        List<Object> m = messages();
        assertThat(m).hasSize(2);
        assertThat(((HttpResponse) m.get(0)).status().code()).isEqualTo(101);
        assertThat(m.get(1)).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
    }

    @Test
    void bodyWithoutLengthReadsUntilClose() {
        send(HttpMethod.GET);
        receive("HTTP/1.0 200 OK\r\n\r\nsome bytes");
        receive(" and more");
        upstream.close();
        List<Object> m = messages();
        assertThat(((HttpResponse) m.get(0)).protocolVersion()).isEqualTo(HttpVersion.HTTP_1_0);
        assertThat(body(m)).isEqualTo("some bytes and more");
        assertThat(m.get(m.size() - 1)).isInstanceOf(LastHttpContent.class);
    }

    @Test
    void unknownReasonPhraseIsKept() {
        send(HttpMethod.GET);
        receive("HTTP/1.1 418 Short And Stout\r\nContent-Length: 0\r\n\r\n");
        HttpResponse head = (HttpResponse) messages().get(0);
        assertThat(head.status().reasonPhrase()).isEqualTo("Short And Stout");
    }

    @Test
    void malformedHeadsFailTheResponse() {
        for (String bad : List.of("HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 20x OK\r\n\r\n", "garbage\r\n\r\n",
                "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", "HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n",
                "HTTP/1.1 200 OK\r\nnocolon\r\n\r\n", "HTTP/1.1 200 OK\r\nX: a\u0000b\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n")) {
            EmbeddedChannel ch = new EmbeddedChannel(new UpstreamCodec());
            ch.writeInbound(bytes(bad));
            HttpResponse head = ch.readInbound();
            assertThat(head).as(bad).isNotNull();
            assertThat(head.decoderResult().isFailure()).as(bad).isTrue();
            assertThat(head.decoderResult().cause()).isInstanceOf(HeadFields.MalformedHeadException.class);
            assertThat(ch.isOpen()).as(bad).isFalse();
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void aControlCharacterInTheReasonPhraseIsAMalformedHead() {
        // The phrase goes on to the client, to which a bare CR may end the line.
        for (String bad : List.of("HTTP/1.1 200 O\rK\r\n\r\n", "HTTP/1.1 200 O\u0000K\r\n\r\n",
                "HTTP/1.1 200 O\u007fK\r\n\r\n")) {
            EmbeddedChannel ch = new EmbeddedChannel(new UpstreamCodec());
            ch.writeInbound(bytes(bad));
            HttpResponse head = ch.readInbound();
            assertThat(head.decoderResult().cause()).as(bad).isInstanceOf(HeadFields.MalformedHeadException.class)
                    .hasMessageContaining("reason phrase");
            ch.finishAndReleaseAll();
        }
        send(HttpMethod.GET);
        receive("HTTP/1.1 200 Fine\tby\u00e9 me\r\nContent-Length: 0\r\n\r\n");
        assertThat(((HttpResponse) messages().get(0)).status().reasonPhrase()).isEqualTo("Fine\tby\u00e9 me");
    }

    @Test
    void oversizedHeadFails() {
        send(HttpMethod.GET);
        receive("HTTP/1.1 200 OK\r\nX-Big: " + "a".repeat(UpstreamCodec.MAX_HEAD) + "\r\n\r\n");
        HttpResponse head = (HttpResponse) messages().get(0);
        assertThat(head.decoderResult().cause()).hasMessageContaining("larger than");
        assertThat(upstream.isOpen()).isFalse();
    }

    @Test
    void badChunkSizeClosesTheConnectionWithoutALastChunk() {
        send(HttpMethod.GET);
        receive("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n");
        List<Object> m = messages();
        assertThat(m.get(0)).isInstanceOf(HttpResponse.class);
        assertThat(m).noneMatch(o -> o instanceof LastHttpContent);
        assertThat(upstream.isOpen()).isFalse();
    }

    @Test
    void rawHeadersTurnIntoOrdinaryHeadersWhenIterated() {
        send(HttpMethod.GET);
        receive("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nA: 3\r\nContent-Length: 0\r\n\r\n");
        HttpHeaders headers = ((HttpResponse) messages().get(0)).headers();
        assertThat(headers.getAll("a")).containsExactly("1", "3");
        headers.remove("b");
        headers.add("C", "4");
        assertThat(headers.size()).isEqualTo(4);
        assertThat(((RawHeaders) headers).raw()).isTrue();
        assertThat(headers.names()).containsExactlyInAnyOrder("A", "Content-Length", "C");
        assertThat(((RawHeaders) headers).raw()).isFalse();
        headers.setInt("C", 5);
        assertThat(headers.get("c")).isEqualTo("5");
        assertThat(headers.contains("B")).isFalse();
    }

    @Test
    void rawHeadersAnswerListElementsAndCountsWithoutConverting() {
        send(HttpMethod.GET);
        receive("HTTP/1.1 200 OK\r\nCache-Control: no-cache ,Private\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n"
                + "Content-Length: 0\r\n\r\n");
        RawHeaders headers = (RawHeaders) ((HttpResponse) messages().get(0)).headers();
        assertThat(headers.containsValue("cache-control", "private", true)).isTrue();
        assertThat(headers.containsValue("cache-control", "private", false)).isFalse();
        assertThat(headers.containsValue("cache-control", "no-cache", false)).isTrue();
        assertThat(headers.containsValue("cache-control", "no", true)).isFalse();
        assertThat(headers.containsValue("set-cookie", "b=2", false)).isTrue();
        assertThat(headers.count("SET-COOKIE")).isEqualTo(2);
        headers.add("Set-Cookie", "c=3");
        assertThat(headers.count("set-cookie")).isEqualTo(3);
        assertThat(headers.containsValue("set-cookie", "c=3", false)).isTrue();
        assertThat(headers.raw()).isTrue();
    }

    @Test
    void rawHeadersTellWhetherAFieldListsOnlyGivenElements() {
        send(HttpMethod.GET);
        receive("HTTP/1.1 200 OK\r\nConnection: Keep-Alive, ,close\r\nUpgrade: h2c\r\nContent-Length: 0\r\n\r\n");
        RawHeaders headers = (RawHeaders) ((HttpResponse) messages().get(0)).headers();
        assertThat(headers.onlyValues("connection", "keep-alive", "close")).isTrue();
        assertThat(headers.onlyValues("connection", "keep-alive", "upgrade")).isFalse();
        assertThat(headers.onlyValues("upgrade", "keep-alive", "close")).isFalse();
        assertThat(headers.onlyValues("absent", "keep-alive", "close")).isTrue();
        headers.add("Connection", "close");
        assertThat(headers.onlyValues("connection", "keep-alive", "close"))
                .as("added fields need the general path").isFalse();
    }

    @Test
    void rawHeadersRemoveEachNamedFieldExactlyInOnePass() {
        send(HttpMethod.GET);
        receive("HTTP/1.1 200 OK\r\nKEEP-ALIVE: timeout=5\r\nKeep_Alive: underscored\r\nTe: trailers\r\n"
                + "Trailer: X-Sum\r\nContent-Type: text/plain\r\nTE: again\r\nContent-Length: 0\r\n\r\n");
        RawHeaders headers = (RawHeaders) ((HttpResponse) messages().get(0)).headers();
        headers.add("Trailer", "added");
        headers.add("X-Added", "kept");
        CharSequence[] names = {"keep-alive", "te", "trailer"};

        headers.removeEach(names, RawHeaders.firstLetters(names));

        assertThat(headers.contains("keep-alive")).isFalse();
        assertThat(headers.contains("te")).as("every field of a name").isFalse();
        assertThat(headers.contains("trailer")).as("an added field too").isFalse();
        assertThat(headers.get("keep_alive")).as("not a hop-by-hop name").isEqualTo("underscored");
        assertThat(headers.get("content-type")).as("same first letter as nothing named").isEqualTo("text/plain");
        assertThat(headers.get("x-added")).isEqualTo("kept");
        assertThat(headers.raw()).isTrue();
    }

    @Test
    void rawHeadersKeepAddedFieldsInOrderThroughRemovalsAndGrowth() {
        send(HttpMethod.GET);
        receive("HTTP/1.1 200 OK\r\nA: 1\r\nContent-Length: 0\r\n\r\n");
        RawHeaders headers = (RawHeaders) ((HttpResponse) messages().get(0)).headers();
        for (int i = 0; i < 20; i++) {
            headers.add("X-" + (i % 3), String.valueOf(i));
        }
        headers.remove("x-1");
        headers.set("X-0", "last");
        ByteBuf out = Unpooled.buffer();
        headers.writeTo(out);
        StringBuilder expected = new StringBuilder("A: 1\r\nContent-Length: 0\r\n");
        for (int i = 2; i < 20; i += 3) {
            expected.append("X-2: ").append(i).append("\r\n");
        }
        expected.append("X-0: last\r\n");
        assertThat(out.toString(StandardCharsets.ISO_8859_1)).isEqualTo(expected.toString());
        assertThat(headers.size()).isEqualTo(2 + 6 + 1);
        assertThat(headers.getAll("x-2")).hasSize(6);
        assertThat(headers.raw()).isTrue();
        out.release();
    }
}
