package io.outpost.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ByteProcessor;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The HTTP/1.1 message decoder both sides of the proxy share: a subclass parses heads (into
 * {@link RawHeaders}, through {@link HeadFields}) and says how the body is framed; this class
 * reads the body as {@code Content-Length} bytes, chunks (RFC 9112 section 7.1, trailers kept),
 * or everything until the connection closes, and emits Netty's content messages. Content is
 * sliced from the read buffer, never copied.
 */
abstract class MessageDecoder extends ByteToMessageDecoder {

    static final int MAX_CHUNK_LINE = 4096;
    static final int MAX_TRAILERS = 16384;

    private static final int HEAD = 0, FIXED = 1, CHUNK_SIZE = 2, CHUNK_DATA = 3, CHUNK_END = 4,
            TRAILERS = 5, UNTIL_CLOSE = 6, BROKEN = 7;

    final HeadFields fields = new HeadFields();
    private int state = HEAD;
    private long remaining;
    private HttpHeaders trailers;
    private int trailerBytes;
    /** How much of the chunk line or trailer being read {@link #lineEnd} has looked at without finding its end. */
    private int lineScanned;

    /**
     * Reads one head if it has fully arrived (consuming it and adding the message to {@code out},
     * then calling one of the {@code expect} methods), or returns leaving {@code in} untouched.
     */
    abstract void readHead(ChannelHandlerContext ctx, ByteBuf in, List<Object> out);

    /** The input can not be parsed; {@code inHead} tells whether a message was started. */
    abstract void malformed(ChannelHandlerContext ctx, RuntimeException cause, boolean inHead, List<Object> out);

    final void expectNoBody(List<Object> out) {
        out.add(LastHttpContent.EMPTY_LAST_CONTENT);
        state = HEAD;
    }

    final void expectLength(long length, List<Object> out) {
        if (length == 0) {
            expectNoBody(out);
        } else {
            remaining = length;
            state = FIXED;
        }
    }

    final void expectChunks() {
        state = CHUNK_SIZE;
    }

    final void expectUntilClose() {
        state = UNTIL_CLOSE;
    }

    /** Nothing more on this connection is HTTP; whatever arrives is discarded. */
    final void expectNothing() {
        state = BROKEN;
    }

    @Override
    protected final void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        try {
            while (in.isReadable() && state != BROKEN) {
                int before = in.readableBytes();
                step(ctx, in, out);
                if (in.readableBytes() == before) {
                    return;
                }
            }
            if (state == BROKEN) {
                in.skipBytes(in.readableBytes());
            }
        } catch (IllegalArgumentException | DecoderException e) {
            in.skipBytes(in.readableBytes());
            boolean inHead = state == HEAD;
            state = BROKEN;
            malformed(ctx, e, inHead, out);
        }
    }

    private void step(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        switch (state) {
            case HEAD -> readHead(ctx, in, out);
            case FIXED -> {
                int n = (int) Math.min(in.readableBytes(), remaining);
                remaining -= n;
                if (remaining == 0) {
                    state = HEAD;
                    out.add(new DefaultLastHttpContent(in.readRetainedSlice(n), EmptyHttpHeaders.INSTANCE));
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
                int r = in.readerIndex();
                if (lf != r && !(lf == r + 1 && in.getByte(r) == '\r')) {
                    throw new HeadFields.MalformedHeadException("chunk data is not followed by CRLF");
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
    protected final void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (in.isReadable()) {
            decode(ctx, in, out);
        }
        if (state == UNTIL_CLOSE) {
            state = HEAD;
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
        }
        // Anywhere else a close cuts the message short: the next handler's channelInactive says so.
    }

    /**
     * The index of the next LF within {@code max} bytes, -1 when it has not arrived yet. A line that
     * arrives in pieces is scanned once: each call goes on where the one before stopped (the caller
     * consumes the line once its end is found), so a client that trickles a chunk extension or a
     * trailer in, byte by byte, costs no more than one that sends it at once.
     */
    private int lineEnd(ByteBuf in, int max) {
        int len = Math.min(in.readableBytes(), max);
        int lf = lineScanned < len ? in.forEachByte(in.readerIndex() + lineScanned, len - lineScanned,
                ByteProcessor.FIND_LF) : -1;
        if (lf >= 0) {
            lineScanned = 0;
            return lf;
        }
        if (in.readableBytes() >= max) {
            throw new HeadFields.MalformedHeadException("line longer than " + max + " bytes");
        }
        lineScanned = len;
        return -1;
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
                throw new HeadFields.MalformedHeadException("chunk size too large");
            }
            size = size * 16 + d;
        }
        if (digits == 0) {
            throw new HeadFields.MalformedHeadException("malformed chunk size");
        }
        for (; i < lf; i++) {
            byte b = in.getByte(i);
            if (b == ';') {
                break; // a chunk extension, ignored
            }
            if (b != ' ' && b != '\t' && b != '\r') {
                throw new HeadFields.MalformedHeadException("malformed chunk size");
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
        if (trailerBytes > MAX_TRAILERS) {
            throw new HeadFields.MalformedHeadException("trailer section larger than " + MAX_TRAILERS + " bytes");
        }
        // The same rules as fields in the head (HeadFields.parse): a token right before the colon
        // (so no obs-fold and no whitespace before the colon), and no control character but HTAB
        // in the value (so no bare CR, which a next hop may take for a line end).
        int colon = start;
        while (colon < le && in.getByte(colon) != ':') {
            if (!HeadFields.tchar(in.getByte(colon))) {
                throw new HeadFields.MalformedHeadException("malformed trailer field");
            }
            colon++;
        }
        if (colon == start || colon == le) {
            throw new HeadFields.MalformedHeadException("malformed trailer field");
        }
        for (int i = colon + 1; i < le; i++) {
            int b = in.getByte(i) & 0xff;
            if ((b < 0x20 && b != '\t') || b == 0x7f) {
                throw new HeadFields.MalformedHeadException("invalid character in a trailer field value");
            }
        }
        String line = in.toString(start, le - start, StandardCharsets.ISO_8859_1);
        colon -= start;
        if (trailers == null) {
            trailers = new DefaultHttpHeaders(false);
        }
        trailers.add(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
    }
}
