package io.outpost.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ByteProcessor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;

/**
 * The codec of an upstream connection: Netty's request encoder, and a response decoder that keeps
 * each response head as the bytes it arrived as ({@link RawHeaders}), so that a response passes
 * to the client without its fields being decoded into strings and encoded again.
 *
 * <p>Body framing follows RFC 9112 section 6.3: no body after HEAD, 1xx, 204 and 304; a
 * {@code Transfer-Encoding} ending in chunked is de-chunked (its {@code Content-Length}, if any,
 * is dropped); any other transfer coding, or neither header, reads until the connection closes;
 * otherwise {@code Content-Length} counts the body. A malformed head becomes a response whose
 * decoder result is the failure; malformed framing inside a body closes the connection, which the
 * exchange reports as an upstream that broke off mid-response.
 */
final class UpstreamCodec extends CombinedChannelDuplexHandler<UpstreamCodec.ResponseDecoder, UpstreamCodec.RequestEncoder> {

    static final int MAX_HEAD = 4096 + 16384;
    static final int MAX_CHUNK_LINE = 4096;

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
    }

    /** A response head or body that does not parse. */
    static final class MalformedResponseException extends DecoderException {
        MalformedResponseException(String message) {
            super(message);
        }
    }

    static final class ResponseDecoder extends ByteToMessageDecoder {
        private static final int HEAD = 0, FIXED = 1, CHUNK_SIZE = 2, CHUNK_DATA = 3, CHUNK_END = 4,
                TRAILERS = 5, UNTIL_CLOSE = 6, BROKEN = 7;
        private static final byte[] HTTP_1_ = "HTTP/1.".getBytes(StandardCharsets.US_ASCII);

        private final ArrayDeque<HttpMethod> methods;
        private int state = HEAD;
        private long remaining;
        private int[] at = new int[4 * 16];

        ResponseDecoder(ArrayDeque<HttpMethod> methods) {
            this.methods = methods;
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            try {
                while (in.isReadable()) {
                    int before = in.readableBytes();
                    step(ctx, in, out);
                    if (in.readableBytes() == before) {
                        return;
                    }
                }
            } catch (MalformedResponseException e) {
                in.skipBytes(in.readableBytes());
                int wasState = state;
                state = BROKEN;
                if (wasState == HEAD) {
                    DefaultHttpResponse failed = new DefaultHttpResponse(HttpVersion.HTTP_1_1,
                            HttpResponseStatus.BAD_GATEWAY, new DefaultHttpHeaders(false));
                    failed.setDecoderResult(DecoderResult.failure(e));
                    out.add(failed);
                }
                ctx.close();
            }
        }

        private void step(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            switch (state) {
                case HEAD -> readHead(in, out);
                case FIXED -> {
                    int n = (int) Math.min(in.readableBytes(), remaining);
                    remaining -= n;
                    if (remaining == 0) {
                        state = HEAD;
                        out.add(new DefaultLastHttpContent(in.readRetainedSlice(n)));
                    } else {
                        out.add(new DefaultHttpContent(in.readRetainedSlice(n)));
                    }
                }
                case CHUNK_SIZE -> readChunkSize(in);
                case CHUNK_DATA -> {
                    int n = (int) Math.min(in.readableBytes(), remaining);
                    remaining -= n;
                    out.add(new DefaultHttpContent(in.readRetainedSlice(n)));
                    if (remaining == 0) {
                        state = CHUNK_END;
                    }
                }
                case CHUNK_END -> {
                    int lf = lineEnd(in, 2);
                    if (lf < 0) {
                        return;
                    }
                    if (lf != in.readerIndex() && !(lf == in.readerIndex() + 1 && in.getByte(in.readerIndex()) == '\r')) {
                        throw new MalformedResponseException("chunk data is not followed by CRLF");
                    }
                    in.readerIndex(lf + 1);
                    state = CHUNK_SIZE;
                }
                case TRAILERS -> readTrailers(in, out);
                case UNTIL_CLOSE -> out.add(new DefaultHttpContent(in.readRetainedSlice(in.readableBytes())));
                default -> in.skipBytes(in.readableBytes());
            }
        }

        @Override
        protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
            if (in.isReadable()) {
                decode(ctx, in, out);
            }
            if (state == UNTIL_CLOSE) {
                state = HEAD;
                out.add(LastHttpContent.EMPTY_LAST_CONTENT);
            }
            // Anywhere else a close is a response cut short: the handler's channelInactive says so.
        }

        /** The index of the next LF within {@code max} bytes, -1 when it has not arrived yet. */
        private static int lineEnd(ByteBuf in, int max) {
            int len = Math.min(in.readableBytes(), max);
            int lf = in.forEachByte(in.readerIndex(), len, ByteProcessor.FIND_LF);
            if (lf < 0 && in.readableBytes() >= max) {
                throw new MalformedResponseException("line longer than " + max + " bytes");
            }
            return lf;
        }

        private void readHead(ByteBuf in, List<Object> out) {
            // Find the empty line that ends the head; lines end in LF with an optional CR.
            int start = in.readerIndex();
            int limit = start + Math.min(in.readableBytes(), MAX_HEAD);
            int pos = start;
            int end = -1;
            while (pos < limit) {
                int lf = in.forEachByte(pos, limit - pos, ByteProcessor.FIND_LF);
                if (lf < 0) {
                    break;
                }
                int lineLength = lf - pos;
                if (pos != start && (lineLength == 0 || lineLength == 1 && in.getByte(pos) == '\r')) {
                    end = lf + 1;
                    break;
                }
                pos = lf + 1;
            }
            if (end < 0) {
                if (in.readableBytes() >= MAX_HEAD) {
                    throw new MalformedResponseException("response head is larger than " + MAX_HEAD + " bytes");
                }
                return;
            }
            byte[] h = new byte[end - start];
            in.readBytes(h);
            parseHead(h, out);
        }

        private void parseHead(byte[] h, List<Object> out) {
            int n = h.length;
            int eol = indexOf(h, (byte) '\n', 0, n);
            int lineEnd = eol > 0 && h[eol - 1] == '\r' ? eol - 1 : eol;
            // Status line: HTTP/1.x SP 3DIGIT [SP reason]
            if (lineEnd < 12 || !startsWith(h, HTTP_1_) || (h[7] != '1' && h[7] != '0') || h[8] != ' '
                    || !digit(h[9]) || !digit(h[10]) || !digit(h[11]) || (lineEnd > 12 && h[12] != ' ')) {
                throw new MalformedResponseException("malformed status line");
            }
            HttpVersion version = h[7] == '1' ? HttpVersion.HTTP_1_1 : HttpVersion.HTTP_1_0;
            int code = (h[9] - '0') * 100 + (h[10] - '0') * 10 + (h[11] - '0');
            if (code < 100) {
                throw new MalformedResponseException("malformed status code " + code);
            }
            HttpResponseStatus status = status(code, h, Math.min(13, lineEnd), lineEnd);

            int count = 0;
            long contentLength = -1;
            int contentLengthField = -1;
            boolean transferEncoding = false;
            boolean chunked = false;
            int[] at = this.at;
            int pos = eol + 1;
            while (pos < n) {
                int lf = indexOf(h, (byte) '\n', pos, n);
                int le = lf > pos && h[lf - 1] == '\r' ? lf - 1 : lf;
                if (le == pos) {
                    break; // the empty line
                }
                if (h[pos] == ' ' || h[pos] == '\t') {
                    throw new MalformedResponseException("obsolete line folding in the response head");
                }
                int colon = pos;
                while (colon < le && h[colon] != ':') {
                    if (!tchar(h[colon])) {
                        throw new MalformedResponseException("invalid character in a header field name");
                    }
                    colon++;
                }
                if (colon == pos || colon == le) {
                    throw new MalformedResponseException("header line without a field name and colon");
                }
                int vs = colon + 1;
                while (vs < le && (h[vs] == ' ' || h[vs] == '\t')) {
                    vs++;
                }
                int ve = le;
                while (ve > vs && (h[ve - 1] == ' ' || h[ve - 1] == '\t')) {
                    ve--;
                }
                for (int i = vs; i < ve; i++) {
                    int b = h[i] & 0xff;
                    if ((b < 0x20 && b != '\t') || b == 0x7f) {
                        throw new MalformedResponseException("invalid character in a header field value");
                    }
                }
                if (4 * count + 4 > at.length) {
                    at = this.at = Arrays.copyOf(at, at.length * 2);
                }
                at[4 * count] = pos;
                at[4 * count + 1] = colon;
                at[4 * count + 2] = vs;
                at[4 * count + 3] = ve;
                int nameLength = colon - pos;
                if (nameLength == 14 && is(h, pos, "content-length")) {
                    long value = parseLength(h, vs, ve);
                    if (contentLength >= 0 && value != contentLength) {
                        throw new MalformedResponseException("conflicting Content-Length values");
                    }
                    contentLength = value;
                    contentLengthField = count;
                } else if (nameLength == 17 && is(h, pos, "transfer-encoding")) {
                    transferEncoding = true;
                    chunked = endsWithChunked(h, vs, ve);
                }
                count++;
                pos = lf + 1;
            }

            HttpHeaders headers;
            if (count <= RawHeaders.MAX_FIELDS) {
                headers = new RawHeaders(h, Arrays.copyOf(at, 4 * count), count);
            } else {
                headers = new DefaultHttpHeaders(false);
                for (int i = 0; i < count; i++) {
                    headers.add(new String(h, at[4 * i], at[4 * i + 1] - at[4 * i], StandardCharsets.ISO_8859_1),
                            new String(h, at[4 * i + 2], at[4 * i + 3] - at[4 * i + 2], StandardCharsets.ISO_8859_1));
                }
            }
            if (transferEncoding && contentLengthField >= 0) {
                // RFC 9112 section 6.1: Transfer-Encoding overrides Content-Length, which must go.
                headers.remove(io.netty.handler.codec.http.HttpHeaderNames.CONTENT_LENGTH);
            }
            HttpResponse response = new DefaultHttpResponse(version, status, headers);
            out.add(response);

            boolean informational = code < 200 && code != 101;
            HttpMethod method = informational ? null : methods.poll();
            if (informational || code == 204 || code == 304 || HttpMethod.HEAD.equals(method)) {
                out.add(LastHttpContent.EMPTY_LAST_CONTENT);
                state = HEAD;
            } else if (code == 101) {
                // Nothing after a protocol switch is HTTP any more; the connection is not reused.
                out.add(LastHttpContent.EMPTY_LAST_CONTENT);
                state = BROKEN;
            } else if (transferEncoding) {
                state = chunked ? CHUNK_SIZE : UNTIL_CLOSE;
            } else if (contentLength == 0) {
                out.add(LastHttpContent.EMPTY_LAST_CONTENT);
                state = HEAD;
            } else if (contentLength > 0) {
                remaining = contentLength;
                state = FIXED;
            } else {
                state = UNTIL_CLOSE;
            }
        }

        private void readChunkSize(ByteBuf in) {
            int lf = lineEnd(in, MAX_CHUNK_LINE);
            if (lf < 0) {
                return;
            }
            int i = in.readerIndex();
            long size = 0;
            int digits = 0;
            for (; i < lf; i++) {
                int d = Character.digit(in.getByte(i), 16);
                if (d < 0) {
                    break;
                }
                if (++digits > 15) {
                    throw new MalformedResponseException("chunk size too large");
                }
                size = size * 16 + d;
            }
            if (digits == 0) {
                throw new MalformedResponseException("malformed chunk size");
            }
            for (; i < lf; i++) {
                byte b = in.getByte(i);
                if (b == ';') {
                    break; // a chunk extension, ignored
                }
                if (b != ' ' && b != '\t' && b != '\r') {
                    throw new MalformedResponseException("malformed chunk size");
                }
            }
            in.readerIndex(lf + 1);
            if (size == 0) {
                state = TRAILERS;
            } else {
                remaining = size;
                state = CHUNK_DATA;
            }
        }

        private HttpHeaders trailers;
        private int trailerBytes;

        private void readTrailers(ByteBuf in, List<Object> out) {
            int lf = lineEnd(in, MAX_CHUNK_LINE);
            if (lf < 0) {
                return;
            }
            int start = in.readerIndex();
            int le = lf > start && in.getByte(lf - 1) == '\r' ? lf - 1 : lf;
            in.readerIndex(lf + 1);
            if (le == start) {
                LastHttpContent last = trailers == null ? LastHttpContent.EMPTY_LAST_CONTENT
                        : new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, trailers);
                trailers = null;
                trailerBytes = 0;
                state = HEAD;
                out.add(last);
                return;
            }
            trailerBytes += lf + 1 - start;
            if (trailerBytes > 16384) {
                throw new MalformedResponseException("trailer section larger than 16384 bytes");
            }
            String line = in.toString(start, le - start, StandardCharsets.ISO_8859_1);
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new MalformedResponseException("malformed trailer field");
            }
            if (trailers == null) {
                trailers = new DefaultHttpHeaders(false);
            }
            trailers.add(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
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

        private static long parseLength(byte[] h, int from, int to) {
            if (from == to || to - from > 18) {
                throw new MalformedResponseException("invalid Content-Length");
            }
            long v = 0;
            for (int i = from; i < to; i++) {
                if (!digit(h[i])) {
                    throw new MalformedResponseException("invalid Content-Length");
                }
                v = v * 10 + (h[i] - '0');
            }
            return v;
        }

        /** Whether the last transfer coding in the field value is chunked. */
        private static boolean endsWithChunked(byte[] h, int from, int to) {
            int comma = to - 1;
            while (comma >= from && h[comma] != ',') {
                comma--;
            }
            int s = comma + 1;
            while (s < to && (h[s] == ' ' || h[s] == '\t')) {
                s++;
            }
            return to - s == 7 && is(h, s, "chunked");
        }

        private static boolean is(byte[] h, int at, String lowerName) {
            for (int i = 0; i < lowerName.length(); i++) {
                int c = h[at + i];
                if (c >= 'A' && c <= 'Z') {
                    c += 32;
                }
                if (c != lowerName.charAt(i)) {
                    return false;
                }
            }
            return true;
        }

        private static boolean startsWith(byte[] h, byte[] prefix) {
            for (int i = 0; i < prefix.length; i++) {
                if (h[i] != prefix[i]) {
                    return false;
                }
            }
            return true;
        }

        private static int indexOf(byte[] h, byte b, int from, int to) {
            for (int i = from; i < to; i++) {
                if (h[i] == b) {
                    return i;
                }
            }
            return to;
        }

        private static boolean digit(byte b) {
            return b >= '0' && b <= '9';
        }

        private static final boolean[] TCHAR = new boolean[128];

        static {
            for (int c = 0x21; c < 0x7f; c++) {
                TCHAR[c] = "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0;
            }
        }

        /** RFC 9110 section 5.6.2 token characters. */
        private static boolean tchar(byte b) {
            return b >= 0 && TCHAR[b];
        }
    }
}
