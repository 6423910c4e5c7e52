package io.outpost.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.ByteProcessor;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The field section of an HTTP/1.1 message head, located in the head's bytes (RFC 9112 section
 * 5): each field's name and value offsets, and what body framing the fields declare. One instance
 * per connection is reused for every head it parses (and finds, {@link #headEnd}); {@link #headers}
 * hands the result on.
 *
 * <p>Rejected, with {@link MalformedHeadException}: a name that is not a token or is followed by
 * whitespace, obsolete line folding, a control character in a value, a line without a colon,
 * and a {@code Content-Length} that is not a number or appears with different values.
 */
final class HeadFields {

    /** A head that does not parse; the message says why. */
    static final class MalformedHeadException extends IllegalArgumentException {
        MalformedHeadException(String message) {
            super(message);
        }
    }

    private static final boolean[] TCHAR = new boolean[128];

    static {
        for (int c = 0x21; c < 0x7f; c++) {
            TCHAR[c] = "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0;
        }
    }

    /**
     * Where {@link #headEnd} goes on, as offsets from the head's start: the first line not seen whole,
     * and the end of the bytes looked at (none of them, from that line on, an LF).
     */
    private int lineStart;
    private int scanned;
    /** The offset, from the head's start, of the LF that ends its first line; -1 until it has arrived. */
    private int firstLf = -1;
    private int[] at = new int[4 * 16];
    int count;
    /** The declared length, or -1. */
    long contentLength;
    /** How many Content-Length fields there were. */
    int contentLengthFields;
    boolean transferEncoding;
    /** Whether the last transfer coding is chunked. */
    boolean chunked;
    /** Whether chunked is the only transfer coding, listed once. */
    boolean onlyChunked;
    /** The transfer codings of every Transfer-Encoding field, as one list. */
    final TransferCodings codings = new TransferCodings();

    /**
     * Finds the end of the head that starts at the reader index: the index just past its empty
     * line, or -1 when the head has not fully arrived within {@code max} bytes. Lines end in LF
     * with an optional CR. A head that arrives in pieces is scanned once: each call goes on where the
     * call before stopped, so a client that trickles a head in, byte by byte, costs no more than one
     * that sends it at once (rescanning would cost the square of its size). The caller consumes the
     * head once it has arrived, and calls again only for the next.
     */
    int headEnd(ByteBuf in, int max) {
        int start = in.readerIndex();
        if (scanned == 0) {
            firstLf = -1;
        }
        int limit = start + Math.min(in.readableBytes(), max);
        int line = start + lineStart;
        int pos = start + scanned;
        while (pos < limit) {
            int lf = in.forEachByte(pos, limit - pos, ByteProcessor.FIND_LF);
            if (lf < 0) {
                pos = limit;
                break;
            }
            if (firstLf < 0) {
                firstLf = lf - start;
            }
            int lineLength = lf - line;
            if (line != start && (lineLength == 0 || lineLength == 1 && in.getByte(line) == '\r')) {
                lineStart = 0;
                scanned = 0;
                return lf + 1;
            }
            line = lf + 1;
            pos = line;
        }
        lineStart = line - start;
        scanned = pos - start;
        return -1;
    }

    /** The index of the LF ending the first line of the head {@link #headEnd} looked at last; -1 before it came. */
    int firstLineEnd(ByteBuf in) {
        return firstLf < 0 ? -1 : in.readerIndex() + firstLf;
    }

    /** The end of the line starting at {@code from} (before its CR LF), and sets nothing. */
    static int lineEnd(byte[] h, int from) {
        int lf = indexOf(h, (byte) '\n', from, h.length);
        return lf > from && h[lf - 1] == '\r' ? lf - 1 : lf;
    }

    static int indexOf(byte[] h, byte b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (h[i] == b) {
                return i;
            }
        }
        return to;
    }

    /** Parses the fields from {@code pos} (the line after the start line) to the empty line. */
    void parse(byte[] h, int pos) {
        int n = h.length;
        count = 0;
        contentLength = -1;
        contentLengthFields = 0;
        transferEncoding = false;
        chunked = false;
        onlyChunked = false;
        codings.reset();
        int[] at = this.at;
        while (pos < n) {
            int lf = indexOf(h, (byte) '\n', pos, n);
            int le = lf > pos && h[lf - 1] == '\r' ? lf - 1 : lf;
            if (le == pos) {
                return; // the empty line
            }
            if (h[pos] == ' ' || h[pos] == '\t') {
                throw new MalformedHeadException("obsolete line folding in the head");
            }
            int colon = pos;
            while (colon < le && h[colon] != ':') {
                if (!tchar(h[colon])) {
                    throw new MalformedHeadException("invalid character in a header field name");
                }
                colon++;
            }
            if (colon == pos || colon == le) {
                throw new MalformedHeadException("header line without a field name and colon");
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
                    throw new MalformedHeadException("invalid character in a header field value");
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
                    throw new MalformedHeadException("conflicting Content-Length values");
                }
                contentLength = value;
                contentLengthFields++;
            } else if (nameLength == 17 && is(h, pos, "transfer-encoding")) {
                transferEncoding = true;
                codings.add(h, vs, ve);
                chunked = codings.lastChunked();
                onlyChunked = codings.onlyChunked();
            }
            count++;
            pos = lf + 1;
        }
    }

    /** The parsed fields as headers over {@code h}: raw when there are few enough of them. */
    HttpHeaders headers(byte[] h) {
        if (count <= RawHeaders.MAX_FIELDS) {
            return new RawHeaders(h, Arrays.copyOf(at, 4 * count), count);
        }
        HttpHeaders headers = new DefaultHttpHeaders(false);
        for (int i = 0; i < count; i++) {
            headers.add(new String(h, at[4 * i], at[4 * i + 1] - at[4 * i], StandardCharsets.ISO_8859_1),
                    new String(h, at[4 * i + 2], at[4 * i + 3] - at[4 * i + 2], StandardCharsets.ISO_8859_1));
        }
        return headers;
    }

    private static long parseLength(byte[] h, int from, int to) {
        if (from == to || to - from > 18) {
            throw new MalformedHeadException("invalid Content-Length");
        }
        long v = 0;
        for (int i = from; i < to; i++) {
            if (!digit(h[i])) {
                throw new MalformedHeadException("invalid Content-Length");
            }
            v = v * 10 + (h[i] - '0');
        }
        return v;
    }

    /** Whether {@code h} holds {@code lowerName} at {@code at}, ignoring ASCII case. */
    static boolean is(byte[] h, int at, String lowerName) {
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

    static boolean digit(byte b) {
        return b >= '0' && b <= '9';
    }

    /** RFC 9110 section 5.6.2 token characters. */
    static boolean tchar(byte b) {
        return b >= 0 && TCHAR[b];
    }
}
