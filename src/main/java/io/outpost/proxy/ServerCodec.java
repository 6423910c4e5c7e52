package io.outpost.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The client-facing HTTP/1.1 codec. Requests keep their fields as the bytes they arrived as
 * ({@link RawHeaders}), so that forwarding copies them instead of decoding and re-encoding. It is
 * stricter than Netty's {@code HttpServerCodec} where that matters at an edge: a request carrying
 * both {@code Transfer-Encoding} and {@code Content-Length}, or {@code Content-Length} twice, is
 * refused as malformed (RFC 9112 section 6.3 allows a server to reject it, and a proxy that
 * repairs it instead can be used to smuggle requests past another hop). So is any
 * {@code Transfer-Encoding} but a single {@code chunked}: see {@link RequestDecoder#checkCodings}.
 */
final class ServerCodec extends CombinedChannelDuplexHandler<ServerCodec.RequestDecoder, ServerCodec.ResponseEncoder> {

    static final int MAX_INITIAL_LINE = 8192;
    static final int MAX_HEADER_SIZE = 16384;
    /** The longest head within both limits: the line, its LF (which neither limit counts), the fields. */
    private static final int MAX_HEAD = MAX_INITIAL_LINE + 1 + MAX_HEADER_SIZE;

    /**
     * Passed on, ahead of the request, when a request head is still arriving at the end of a read: the
     * request began then. A head that arrives in one read has no marker; the request begins with it. A
     * head that starts in the read that ended the request before it is marked at its next read (Netty
     * takes a message decoded from no new input for a decoder fault, so the marker is passed on
     * directly, never after messages of the same read still waiting to be).
     */
    static final Object HEAD_ARRIVING = new Object() {
        @Override
        public String toString() {
            return "HEAD_ARRIVING";
        }
    };

    private final long idleTimeoutMillis;
    private IdleWatch idle;

    ServerCodec() {
        this(false);
    }

    /** {@code markHeads}: pass on {@link #HEAD_ARRIVING} for heads split across reads. */
    ServerCodec(boolean markHeads) {
        this(markHeads, 0);
    }

    /**
     * {@code markHeads}: pass on {@link #HEAD_ARRIVING} for heads split across reads. Once no bytes
     * have come for {@code idleTimeoutMillis} (0: never), a reader {@link IdleStateEvent} goes down the
     * whole pipeline, from its head, so that a {@link LingeringClose} before the codec sees it too; and
     * again for each further timeout ({@link IdleWatch}: up to a quarter late).
     */
    ServerCodec(boolean markHeads, long idleTimeoutMillis) {
        ArrayDeque<HttpMethod> methods = new ArrayDeque<>(4);
        init(new RequestDecoder(methods, markHeads), new ResponseEncoder(methods));
        this.idleTimeoutMillis = idleTimeoutMillis;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        super.handlerAdded(ctx);
        idle = IdleWatch.start(ctx.executor(), idleTimeoutMillis,
                () -> ctx.pipeline().fireUserEventTriggered(IdleStateEvent.READER_IDLE_STATE_EVENT));
    }

    /** Bytes came that a handler before the codec kept from it: the connection is not idle. */
    void markRead() {
        idle.touch();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) throws Exception {
        idle.stop();
        super.handlerRemoved(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        idle.stop();
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        idle.touch();
        super.channelRead(ctx, msg);
    }

    /** Thrown inside the decoder; the decoder turns it into a failed decoder result. */
    static final class SmugglingException extends IllegalArgumentException {
        SmugglingException() {
            super("both Transfer-Encoding and Content-Length are present");
        }
    }

    /**
     * A request whose body is chunked and also coded with something else ({@code gzip, chunked}): it is
     * well framed, but the gateway does not implement the other coding (RFC 9112 section 6.1: 501).
     */
    static final class NotImplementedCodingException extends IllegalArgumentException {
        NotImplementedCodingException(String codings) {
            super("Transfer-Encoding " + codings + " is not implemented (only chunked is)");
        }
    }

    /**
     * Parses requests into heads over their own bytes ({@link RawHeaders}), so that a request
     * passes upstream with its fields copied rather than re-encoded. A request that can not be
     * parsed becomes a request whose decoder result is the failure: {@link TooLongHttpLineException}
     * for a request line over {@link #MAX_INITIAL_LINE} bytes, {@link TooLongHttpHeaderException}
     * for fields over {@link #MAX_HEADER_SIZE} bytes, and an {@link IllegalArgumentException} for
     * the rest; a body that breaks its framing ends in a failed last content.
     */
    static final class RequestDecoder extends MessageDecoder {
        private final ArrayDeque<HttpMethod> methods;
        /**
         * A head being refused, set on the error path only: its method when the line starts with one (a word
         * and a space), its target when the whole request line could be read.
         */
        private HttpMethod refusedMethod;
        private String refusedTarget;
        private final boolean markHeads;
        /** A head's first bytes were read and {@link #HEAD_ARRIVING} passed on; the rest has not arrived. */
        private boolean headArriving;

        RequestDecoder(ArrayDeque<HttpMethod> methods, boolean markHeads) {
            this.methods = methods;
            this.markHeads = markHeads;
        }

        @Override
        void malformed(ChannelHandlerContext ctx, RuntimeException cause, boolean inHead, List<Object> out) {
            headArriving = false;
            if (inHead) {
                boolean lineRead = refusedTarget != null;
                HttpMethod method = refusedMethod == null ? HttpMethod.GET : refusedMethod;
                RefusedHead failed = new RefusedHead(method, lineRead ? refusedTarget : "/bad-request", lineRead);
                refusedMethod = null;
                refusedTarget = null;
                failed.setDecoderResult(DecoderResult.failure(cause));
                out.add(failed);
                // Its 400 is a response too, and answers this request: without a method of its own, the
                // encoder would take it for an answer to the request before (a HEAD, say) and drop its
                // body; with its own, the answer to a refused HEAD has none (RFC 9110 section 9.3.2).
                methods.add(method);
            } else {
                DefaultLastHttpContent failed = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
                failed.setDecoderResult(DecoderResult.failure(cause));
                out.add(failed);
            }
        }

        @Override
        void readHead(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            // RFC 9112 section 2.2: empty lines before a request line are ignored.
            int r = in.readerIndex();
            int w = in.writerIndex();
            while (r < w && (in.getByte(r) == '\r' || in.getByte(r) == '\n')) {
                r++;
            }
            in.readerIndex(r);
            if (r == w) {
                return;
            }
            try {
                readRequestHead(in, r, out);
                if (markHeads) {
                    if (in.readerIndex() != r) {
                        headArriving = false;
                    } else if (!headArriving && out.isEmpty()) {
                        headArriving = true;
                        ctx.fireChannelRead(HEAD_ARRIVING);
                    }
                }
            } catch (IllegalArgumentException | DecoderException e) {
                if (refusedMethod == null) {
                    // A line too long or malformed may still say HEAD: then its answer has no body.
                    refusedMethod = methodWord(in, r);
                }
                throw e;
            }
        }

        /**
         * The method a refused head's line starts with (a word of token characters and a space, the word at
         * most 20 bytes), or null. The bytes stay in the buffer when the head was read from it.
         */
        private static HttpMethod methodWord(ByteBuf in, int start) {
            int end = Math.min(in.writerIndex(), start + 21);
            for (int i = start; i < end; i++) {
                byte b = in.getByte(i);
                if (b == ' ') {
                    return i == start ? null
                            : HttpMethod.valueOf(in.toString(start, i - start, StandardCharsets.US_ASCII));
                }
                if (!HeadFields.tchar(b)) {
                    return null;
                }
            }
            return null;
        }

        private void readRequestHead(ByteBuf in, int r, List<Object> out) {
            int end = fields.headEnd(in, MAX_HEAD);
            int firstLf = fields.firstLineEnd(in);
            if (firstLf < 0 && in.readableBytes() > MAX_INITIAL_LINE || firstLf - r > MAX_INITIAL_LINE) {
                throw new TooLongHttpLineException("An HTTP line is larger than " + MAX_INITIAL_LINE + " bytes.");
            }
            if (end < 0) {
                if (in.readableBytes() >= MAX_HEAD) {
                    throw fieldsTooLarge(in, r, firstLf);
                }
                return;
            }
            if (end - firstLf - 1 > MAX_HEADER_SIZE) {
                throw fieldsTooLarge(in, r, firstLf);
            }
            byte[] h = new byte[end - r];
            in.readBytes(h);
            int lineEnd = HeadFields.lineEnd(h, 0);
            long spaces = requestLine(h, lineEnd);
            int sp1 = (int) (spaces >>> 32);
            int sp2 = (int) spaces;
            HttpMethod method = method(h, sp1);
            String uri = new String(h, sp1 + 1, sp2 - sp1 - 1, StandardCharsets.ISO_8859_1);
            HttpVersion version = h[sp2 + 8] == '1' ? HttpVersion.HTTP_1_1 : HttpVersion.HTTP_1_0;
            HeadFields f = fields;
            try {
                f.parse(h, HeadFields.indexOf(h, (byte) '\n', 0, h.length) + 1);
                if (f.transferEncoding && f.contentLengthFields > 0) {
                    // RFC 9112 section 6.1: a server may reject it, and must close the connection either way;
                    // section 6.3 (3) calls it a likely attempt to smuggle a request.
                    throw new SmugglingException();
                }
                if (f.contentLengthFields > 1) {
                    throw new HeadFields.MalformedHeadException("Multiple Content-Length values found");
                }
                if (f.transferEncoding) {
                    checkCodings(f.codings, version);
                }
            } catch (RuntimeException e) {
                // The request line was fine: the refused request is logged with its method and target.
                refusedMethod = method;
                refusedTarget = uri;
                throw e;
            }
            out.add(new DefaultHttpRequest(version, method, uri, f.headers(h)));
            methods.add(method);
            if (f.chunked) {
                expectChunks();
            } else {
                expectLength(Math.max(f.contentLength, 0), out);
            }
        }

        /**
         * Refuses a request whose {@code Transfer-Encoding} is not {@code chunked} alone: 400 when its framing
         * is broken or ambiguous (a hop that read it otherwise could be made to see another request in its
         * body), 501 when it is well framed but also coded with what the gateway does not implement.
         */
        private static void checkCodings(TransferCodings codings, HttpVersion version) {
            if (version == HttpVersion.HTTP_1_0) {
                // RFC 9112 section 6.1: an HTTP/1.0 message with Transfer-Encoding has faulty
                // framing; an HTTP/1.0 hop behind this one would read the chunks differently.
                throw new HeadFields.MalformedHeadException("Transfer-Encoding in an HTTP/1.0 request");
            }
            if (codings.malformed()) {
                // RFC 9112 section 6.1 grammar: each coding is a token with optional parameters. An empty
                // field or element is refused too: hops that skip it and hops that do not disagree.
                throw new HeadFields.MalformedHeadException("malformed Transfer-Encoding");
            }
            if (!codings.lastChunked()) {
                // RFC 9112 section 6.3 (4): without chunked last, a request body's length can not be
                // determined; the server must answer 400 and close (whatever the other codings are).
                throw new HeadFields.MalformedHeadException("Transfer-Encoding does not end in chunked");
            }
            if (codings.chunkedCount() > 1) {
                // RFC 9112 section 6.1: a sender must not apply chunked more than once.
                throw new HeadFields.MalformedHeadException("chunked listed more than once in Transfer-Encoding");
            }
            if (!codings.onlyChunked()) {
                // RFC 9112 section 6.1: a coding the server does not understand should get 501. The body
                // is well framed (chunked last), but the gateway decodes none of the others, and passing
                // it on would need the service to, which the client has no way of knowing.
                throw new NotImplementedCodingException(codings.others());
            }
        }

        /**
         * The failure for fields over {@link #MAX_HEADER_SIZE} bytes. A request line that arrived whole
         * ({@code firstLf} found) is read first, here on the error path only, so that the refused request
         * is logged with its method and target.
         */
        private TooLongHttpHeaderException fieldsTooLarge(ByteBuf in, int start, int firstLf) {
            if (firstLf >= 0) {
                byte[] line = new byte[firstLf + 1 - start];
                in.getBytes(start, line);
                try {
                    int lineEnd = HeadFields.lineEnd(line, 0);
                    long spaces = requestLine(line, lineEnd);
                    int sp1 = (int) (spaces >>> 32);
                    int sp2 = (int) spaces;
                    refusedMethod = method(line, sp1);
                    refusedTarget = new String(line, sp1 + 1, sp2 - sp1 - 1, StandardCharsets.ISO_8859_1);
                } catch (IllegalArgumentException e) {
                    // The line is malformed too: the request is logged without it.
                }
            }
            return new TooLongHttpHeaderException("HTTP header is larger than " + MAX_HEADER_SIZE + " bytes.");
        }

        /**
         * Checks the request line {@code method SP request-target SP HTTP-version} that ends at
         * {@code lineEnd}; returns the positions of its two spaces, packed as {@code sp1 << 32 | sp2}.
         */
        private static long requestLine(byte[] h, int lineEnd) {
            int sp1 = HeadFields.indexOf(h, (byte) ' ', 0, lineEnd);
            int sp2 = HeadFields.indexOf(h, (byte) ' ', sp1 + 1, lineEnd);
            if (sp1 == 0 || sp1 >= lineEnd || sp2 >= lineEnd || sp2 == sp1 + 1 || lineEnd - sp2 != 9
                    || !HeadFields.is(h, sp2 + 1, "http/1.") || (h[sp2 + 8] != '1' && h[sp2 + 8] != '0')) {
                throw new HeadFields.MalformedHeadException("malformed request line");
            }
            for (int i = 0; i < sp1; i++) {
                if (!HeadFields.tchar(h[i])) {
                    throw new HeadFields.MalformedHeadException("invalid character in the method");
                }
            }
            for (int i = sp1 + 1; i < sp2; i++) {
                int b = h[i] & 0xff;
                if (b <= 0x20 || b == 0x7f) {
                    throw new HeadFields.MalformedHeadException("invalid character in the request target");
                }
            }
            return (long) sp1 << 32 | sp2;
        }

        private static HttpMethod method(byte[] h, int sp1) {
            return sp1 == 3 && h[0] == 'G' && h[1] == 'E' && h[2] == 'T' ? HttpMethod.GET
                    : HttpMethod.valueOf(new String(h, 0, sp1, StandardCharsets.US_ASCII));
        }
    }

    /**
     * A request head the decoder refused (its decoder result is the failure). When its request line could
     * be read, {@link #method()} and {@link #uri()} are that line's; else the target is a placeholder, and
     * the method is the word the line starts with when there is one (a refused HEAD is answered without a
     * body), GET otherwise.
     */
    static final class RefusedHead extends DefaultHttpRequest {
        private final boolean lineRead;

        RefusedHead(HttpMethod method, String target, boolean lineRead) {
            super(HttpVersion.HTTP_1_0, method, target, new DefaultHttpHeaders(false));
            this.lineRead = lineRead;
        }

        /** True when the method and target are the ones the client sent. */
        boolean lineRead() {
            return lineRead;
        }
    }

    /** Remembers which responses answer HEAD requests, so that their bodies are never written. */
    static final class ResponseEncoder extends HttpResponseEncoder {
        private final ArrayDeque<HttpMethod> methods;
        private HttpMethod current;

        ResponseEncoder(ArrayDeque<HttpMethod> methods) {
            this.methods = methods;
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpResponse response) {
            int code = response.status().code();
            if (code >= 200 || code == 101) {
                // A final response consumes the method of the request it answers.
                HttpMethod polled = methods.poll();
                current = polled == null ? current : polled;
            }
            return HttpMethod.HEAD.equals(current) || super.isContentAlwaysEmpty(response);
        }

        /** Fields still in the form an upstream sent them are copied, not re-encoded. */
        @Override
        protected void encodeHeaders(io.netty.handler.codec.http.HttpHeaders headers, io.netty.buffer.ByteBuf buf) {
            if (headers instanceof RawHeaders raw && raw.raw()) {
                raw.writeTo(buf);
            } else {
                super.encodeHeaders(headers, buf);
            }
        }
    }
}
