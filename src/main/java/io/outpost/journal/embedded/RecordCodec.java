package io.outpost.journal.embedded;

import io.outpost.journal.Entry;
import io.outpost.journal.Header;
import io.outpost.journal.Outcome;
import io.outpost.journal.StoredResponse;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The on-disk record format. A frame is {@code int length | int crc32c | body}, where the body is one
 * type byte and its payload, {@code length} counts the body, and the CRC covers the four length bytes
 * and the body. Integers are big-endian; strings are {@code int length | UTF-8 bytes}.
 */
final class RecordCodec {

    static final int FRAME_HEADER = 8;
    /** The shortest body: a pad's type byte. */
    static final int MIN_BODY = 1;
    static final int MAX_BODY = 64 * 1024 * 1024;

    static final byte PAD = 0;
    static final byte ENTRY = 1;
    static final byte OUTCOME = 2;
    static final byte COMMIT = 3;
    static final byte ABORT = 4;
    static final byte RESPONSE = 5;
    static final byte SETTLE = 6;

    /** A decoded record; each kind writes its own body (type byte first). */
    sealed interface Rec permits EntryRec, OutcomeRec, CommitRec, AbortRec, ResponseRec, SettleRec, PadRec {

        void writeBody(ByteBuffer out);

        /** An upper bound of the body size, to size buffers before encoding. */
        int maxBodySize();
    }

    record EntryRec(Entry entry) implements Rec {
        @Override
        public void writeBody(ByteBuffer out) {
            out.put(ENTRY).putLong(entry.sequence()).putLong(entry.receivedAtMillis());
            putString(out, entry.sessionKey());
            putString(out, entry.idempotencyKey());
            putString(out, entry.method());
            putString(out, entry.pathAndQuery());
            putHeaders(out, entry.headers());
            out.putInt(entry.body().length).put(entry.body());
        }

        @Override
        public int maxBodySize() {
            return 1 + 8 + 8 + strings(entry.sessionKey(), entry.idempotencyKey(), entry.method(),
                    entry.pathAndQuery()) + headers(entry.headers()) + 4 + entry.body().length;
        }
    }

    record OutcomeRec(long sequence, Outcome outcome) implements Rec {
        @Override
        public void writeBody(ByteBuffer out) {
            out.put(OUTCOME).putLong(sequence).putLong(outcome.atMillis()).putInt(outcome.status());
            putString(out, outcome.replica());
        }

        @Override
        public int maxBodySize() {
            return 1 + 8 + 8 + 4 + strings(outcome.replica());
        }
    }

    record CommitRec(long sequence, long atMillis) implements Rec {
        @Override
        public void writeBody(ByteBuffer out) {
            out.put(COMMIT).putLong(sequence).putLong(atMillis);
        }

        @Override
        public int maxBodySize() {
            return 1 + 8 + 8;
        }
    }

    record AbortRec(long sequence, long atMillis) implements Rec {
        @Override
        public void writeBody(ByteBuffer out) {
            out.put(ABORT).putLong(sequence).putLong(atMillis);
        }

        @Override
        public int maxBodySize() {
            return 1 + 8 + 8;
        }
    }

    record ResponseRec(long sequence, StoredResponse response) implements Rec {
        @Override
        public void writeBody(ByteBuffer out) {
            out.put(RESPONSE).putLong(sequence).putInt(response.status()).put((byte) (response.truncated() ? 1 : 0));
            putHeaders(out, response.headers());
            out.putInt(response.body().length).put(response.body());
        }

        @Override
        public int maxBodySize() {
            return 1 + 8 + 4 + 1 + headers(response.headers()) + 4 + response.body().length;
        }
    }

    /** A live write answered: the replica's outcome, the commit and the stored response in one record. */
    record SettleRec(long sequence, Outcome outcome, StoredResponse response) implements Rec {
        @Override
        public void writeBody(ByteBuffer out) {
            out.put(SETTLE).putLong(sequence).putLong(outcome.atMillis()).putInt(outcome.status());
            putString(out, outcome.replica());
            out.putInt(response.status()).put((byte) (response.truncated() ? 1 : 0));
            putHeaders(out, response.headers());
            out.putInt(response.body().length).put(response.body());
        }

        @Override
        public int maxBodySize() {
            return 1 + 8 + 8 + 4 + strings(outcome.replica()) + 4 + 1 + headers(response.headers()) + 4
                    + response.body().length;
        }
    }

    /** Filler that overwrites a quarantined region so that it is not reported again. */
    record PadRec() implements Rec {
        @Override
        public void writeBody(ByteBuffer out) {
            out.put(PAD);
        }

        @Override
        public int maxBodySize() {
            return 1;
        }
    }

    private RecordCodec() {}

    // ---- encoding ----

    /** Appends one whole frame to {@code out}, which must have {@link #sizeOf} bytes of room. */
    static void encode(Rec rec, ByteBuffer out) {
        int start = out.position();
        out.position(start + FRAME_HEADER);
        rec.writeBody(out);
        int bodyLength = out.position() - start - FRAME_HEADER;
        out.putInt(start, bodyLength);
        out.putInt(start + 4, crc(out, start, bodyLength));
    }

    /** An upper bound of the frame size of a record. */
    static int sizeOf(Rec rec) {
        return FRAME_HEADER + rec.maxBodySize();
    }

    /** A pad frame of exactly {@code frameLength} bytes (at least {@link #FRAME_HEADER} + 1). */
    static ByteBuffer pad(int frameLength) {
        ByteBuffer out = ByteBuffer.allocate(frameLength);
        out.putInt(frameLength - FRAME_HEADER).putInt(0).put(PAD);
        out.putInt(4, crc(out, 0, frameLength - FRAME_HEADER));
        return out.rewind();
    }

    // ---- decoding ----

    /**
     * The length of the valid frame that starts at {@code pos}, or -1 when the bytes there are not a
     * whole frame with a matching CRC. Does not move the buffer.
     */
    static int validFrameAt(ByteBuffer buf, int pos) {
        if (buf.limit() - pos < FRAME_HEADER + MIN_BODY) {
            return -1;
        }
        int bodyLength = buf.getInt(pos);
        if (bodyLength < MIN_BODY || bodyLength > MAX_BODY || bodyLength > buf.limit() - pos - FRAME_HEADER) {
            return -1;
        }
        byte type = buf.get(pos + FRAME_HEADER);
        if (type < PAD || type > SETTLE) {
            return -1;
        }
        return crc(buf, pos, bodyLength) == buf.getInt(pos + 4) ? FRAME_HEADER + bodyLength : -1;
    }

    /** Decodes the frame at {@code pos}, which {@link #validFrameAt} accepted. */
    static Rec decode(ByteBuffer buf, int pos, int frameLength) {
        ByteBuffer in = buf.slice(pos + FRAME_HEADER, frameLength - FRAME_HEADER);
        try {
            byte type = in.get();
            Rec rec = switch (type) {
                case PAD -> {
                    in.position(in.limit());
                    yield new PadRec();
                }
                case ENTRY -> {
                    long seq = in.getLong();
                    long at = in.getLong();
                    String session = getString(in);
                    String key = getString(in);
                    String method = getString(in);
                    String target = getString(in);
                    List<Header> headers = getHeaders(in);
                    yield new EntryRec(new Entry(seq, session, key, method, target, headers, getBytes(in), at));
                }
                case OUTCOME -> {
                    long seq = in.getLong();
                    long at = in.getLong();
                    int status = in.getInt();
                    yield new OutcomeRec(seq, new Outcome(getString(in), status, at));
                }
                case COMMIT -> new CommitRec(in.getLong(), in.getLong());
                case ABORT -> new AbortRec(in.getLong(), in.getLong());
                case RESPONSE -> {
                    long seq = in.getLong();
                    int status = in.getInt();
                    boolean truncated = in.get() != 0;
                    List<Header> headers = getHeaders(in);
                    yield new ResponseRec(seq, new StoredResponse(status, headers, getBytes(in), truncated));
                }
                case SETTLE -> {
                    long seq = in.getLong();
                    long at = in.getLong();
                    int status = in.getInt();
                    Outcome outcome = new Outcome(getString(in), status, at);
                    int responseStatus = in.getInt();
                    boolean truncated = in.get() != 0;
                    List<Header> headers = getHeaders(in);
                    yield new SettleRec(seq, outcome, new StoredResponse(responseStatus, headers, getBytes(in),
                            truncated));
                }
                default -> throw new IllegalArgumentException("unknown record type " + type);
            };
            if (in.hasRemaining()) {
                throw new IllegalArgumentException(in.remaining() + " trailing bytes");
            }
            return rec;
        } catch (BufferUnderflowException | IllegalArgumentException | NullPointerException e) {
            throw new MalformedRecordException(e.toString());
        }
    }

    /** A frame whose CRC matches but whose body does not parse: a bug, handled like corruption. */
    static final class MalformedRecordException extends RuntimeException {
        MalformedRecordException(String message) {
            super(message);
        }
    }

    private static int crc(ByteBuffer buf, int frameStart, int bodyLength) {
        CRC32C crc = new CRC32C();
        crc.update(buf.slice(frameStart, 4));
        crc.update(buf.slice(frameStart + FRAME_HEADER, bodyLength));
        return (int) crc.getValue();
    }

    private static int strings(String... values) {
        int n = 0;
        for (String v : values) {
            n += 4 + v.length() * 3;
        }
        return n;
    }

    private static int headers(List<Header> headers) {
        int n = 4;
        for (Header h : headers) {
            n += strings(h.name(), h.value());
        }
        return n;
    }

    private static void putString(ByteBuffer out, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        out.putInt(bytes.length).put(bytes);
    }

    private static void putHeaders(ByteBuffer out, List<Header> headers) {
        out.putInt(headers.size());
        for (Header h : headers) {
            putString(out, h.name());
            putString(out, h.value());
        }
    }

    private static byte[] getBytes(ByteBuffer in) {
        int n = in.getInt();
        if (n < 0 || n > in.remaining()) {
            throw new IllegalArgumentException("length " + n + " exceeds the record");
        }
        byte[] bytes = new byte[n];
        in.get(bytes);
        return bytes;
    }

    private static String getString(ByteBuffer in) {
        return new String(getBytes(in), StandardCharsets.UTF_8);
    }

    private static List<Header> getHeaders(ByteBuffer in) {
        int n = in.getInt();
        if (n < 0 || n > in.remaining() / 8) {
            throw new IllegalArgumentException("header count " + n + " exceeds the record");
        }
        List<Header> headers = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            headers.add(new Header(getString(in), getString(in)));
        }
        return headers;
    }
}
