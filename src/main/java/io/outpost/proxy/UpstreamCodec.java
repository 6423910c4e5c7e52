package io.outpost.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The codec of an upstream connection: Netty's request encoder, and a response decoder that keeps
 * each response head as the bytes it arrived as ({@link RawHeaders}), so that a response passes
 * to the client without its fields being decoded into strings and encoded again.
 *
 * <p>Body framing follows RFC 9112 section 6.3: no body after HEAD, 1xx, 204 and 304; a
 * {@code Transfer-Encoding} ending in chunked is de-chunked (its {@code Content-Length}, if any,
 * is dropped); neither header reads until the connection closes; otherwise {@code Content-Length}
 * counts the body (repeated with one value, it is passed on once; with different values, the head is
 * malformed). A body with a transfer coding other than chunked alone ({@code gzip, chunked})
 * is refused as a malformed head: it could only be forwarded by dropping its coding. A malformed head becomes a response whose
 * decoder result is the failure; malformed framing inside a body closes the connection, which the
 * exchange reports as an upstream that broke off mid-response.
 */
final class UpstreamCodec extends CombinedChannelDuplexHandler<UpstreamCodec.ResponseDecoder, UpstreamCodec.RequestEncoder> {

    static final int MAX_HEAD = 4096 + 16384;

    UpstreamCodec() {
        ArrayDeque<HttpMethod> methods = new ArrayDeque<>(4);
        init(new ResponseDecoder(methods), new RequestEncoder(methods));
    }

    /** Remembers each request's method, so that the response to HEAD is read without a body. */
    static final class RequestEncoder extends HttpRequestEncoder {
        private final ArrayDeque<HttpMethod> methods;

        RequestEncoder(ArrayDeque<HttpMethod> methods) {
            this.methods = methods;
        }

        @Override
        protected void encodeInitialLine(ByteBuf buf, HttpRequest request) throws Exception {
            methods.add(request.method());
            super.encodeInitialLine(buf, request);
        }

        /** Fields still in the form the client sent them are copied, not re-encoded. */
        @Override
        protected void encodeHeaders(HttpHeaders headers, ByteBuf buf) {
            if (headers instanceof RawHeaders raw && raw.raw()) {
                raw.writeTo(buf);
            } else {
                super.encodeHeaders(headers, buf);
            }
        }
    }

    static final class ResponseDecoder extends MessageDecoder {
        private static final byte[] HTTP_1_ = "HTTP/1.".getBytes(StandardCharsets.US_ASCII);

        private final ArrayDeque<HttpMethod> methods;

        ResponseDecoder(ArrayDeque<HttpMethod> methods) {
            this.methods = methods;
        }

        @Override
        void malformed(ChannelHandlerContext ctx, RuntimeException cause, boolean inHead, List<Object> out) {
            if (inHead) {
                DefaultHttpResponse failed = new DefaultHttpResponse(HttpVersion.HTTP_1_1,
                        HttpResponseStatus.BAD_GATEWAY, new DefaultHttpHeaders(false));
                failed.setDecoderResult(DecoderResult.failure(cause));
                out.add(failed);
            }
            ctx.close();
        }

        @Override
        void readHead(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            int end = fields.headEnd(in, MAX_HEAD);
            if (end < 0) {
                if (in.readableBytes() >= MAX_HEAD) {
                    throw new HeadFields.MalformedHeadException("response head is larger than " + MAX_HEAD + " bytes");
                }
                return;
            }
            byte[] h = new byte[end - in.readerIndex()];
            in.readBytes(h);
            int lineEnd = HeadFields.lineEnd(h, 0);
            // Status line: HTTP/1.x SP 3DIGIT [SP reason]
            if (lineEnd < 12 || !startsWith(h, HTTP_1_) || (h[7] != '1' && h[7] != '0') || h[8] != ' '
                    || !HeadFields.digit(h[9]) || !HeadFields.digit(h[10]) || !HeadFields.digit(h[11])
                    || (lineEnd > 12 && h[12] != ' ')) {
                throw new HeadFields.MalformedHeadException("malformed status line");
            }
            for (int i = 13; i < lineEnd; i++) {
                // RFC 9112 section 4: HTAB, SP, visible characters and obs-text; the phrase is passed on.
                int b = h[i] & 0xff;
                if ((b < 0x20 && b != '\t') || b == 0x7f) {
                    throw new HeadFields.MalformedHeadException("invalid character in the reason phrase");
                }
            }
            HttpVersion version = h[7] == '1' ? HttpVersion.HTTP_1_1 : HttpVersion.HTTP_1_0;
            int code = (h[9] - '0') * 100 + (h[10] - '0') * 10 + (h[11] - '0');
            if (code < 100) {
                throw new HeadFields.MalformedHeadException("malformed status code " + code);
            }
            HttpResponseStatus status = status(code, h, Math.min(13, lineEnd), lineEnd);
            HeadFields f = fields;
            f.parse(h, HeadFields.indexOf(h, (byte) '\n', 0, h.length) + 1);
            if (f.transferEncoding && !f.onlyChunked && code >= 200 && code != 204 && code != 304
                    && !HttpMethod.HEAD.equals(methods.peek())) {
                // A body coded with anything but chunked (gzip, say) can not be passed on: the client
                // never offered to accept it (TE is hop-by-hop), and re-framing it as chunked would drop
                // the coding while forwarding the coded bytes. nginx and Go's proxy refuse it too.
                throw new HeadFields.MalformedHeadException("unsupported Transfer-Encoding in the response"
                        + " (only chunked can be forwarded)");
            }
            HttpHeaders headers = f.headers(h);
            if (f.transferEncoding && f.contentLengthFields > 0) {
                // RFC 9112 section 6.1: Transfer-Encoding overrides Content-Length, which must go.
                headers.remove(HttpHeaderNames.CONTENT_LENGTH);
            } else if (f.contentLengthFields > 1) {
                // The same value repeated (different ones fail the parse): one field goes on, as RFC 9110
                // section 8.6 allows, since a client may refuse a response with two.
                headers.set(HttpHeaderNames.CONTENT_LENGTH, String.valueOf(f.contentLength));
            }
            out.add(new DefaultHttpResponse(version, status, headers));

            boolean informational = code < 200 && code != 101;
            HttpMethod method = informational ? null : methods.poll();
            if (code == 101) {
                // Nothing after a protocol switch is HTTP any more, whatever the request's method was;
                // the connection is not reused.
                out.add(LastHttpContent.EMPTY_LAST_CONTENT);
                expectNothing();
            } else if (informational || code == 204 || code == 304 || HttpMethod.HEAD.equals(method)) {
                expectNoBody(out);
            } else if (f.transferEncoding) {
                if (f.chunked) {
                    expectChunks();
                } else {
                    expectUntilClose();
                }
            } else if (f.contentLength >= 0) {
                expectLength(f.contentLength, out);
            } else {
                expectUntilClose();
            }
        }

        private static HttpResponseStatus status(int code, byte[] h, int from, int to) {
            HttpResponseStatus known = HttpResponseStatus.valueOf(code);
            String phrase = known.reasonPhrase();
            if (phrase.length() == to - from) {
                boolean same = true;
                for (int i = 0; i < phrase.length() && same; i++) {
                    same = phrase.charAt(i) == h[from + i];
                }
                if (same) {
                    return known;
                }
            }
            return new HttpResponseStatus(code, new String(h, from, to - from, StandardCharsets.ISO_8859_1));
        }

        private static boolean startsWith(byte[] h, byte[] prefix) {
            for (int i = 0; i < prefix.length; i++) {
                if (h[i] != prefix[i]) {
                    return false;
                }
            }
            return true;
        }
    }
}
