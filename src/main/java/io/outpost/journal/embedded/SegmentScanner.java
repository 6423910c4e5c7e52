package io.outpost.journal.embedded;

import io.outpost.journal.embedded.RecordCodec.MalformedRecordException;
import io.outpost.journal.embedded.RecordCodec.PadRec;
import io.outpost.journal.embedded.RecordCodec.Rec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a segment back at open time. A record that fails its check is either a torn tail (nothing
 * valid follows it in the newest segment: the end of a write cut short by a crash, never
 * acknowledged, so cut off) or corruption (valid records follow: quarantined, reported, skipped).
 * Zeros up to the end of the newest segment are the space written ahead of the log, not a tail.
 */
final class SegmentScanner {

    private static final Logger log = LoggerFactory.getLogger(SegmentScanner.class);

    /** Receives each valid record with its position. */
    @FunctionalInterface
    interface Sink {
        void accept(Rec rec, long offset, int frameLength);
    }

    /** What a scan found in one segment. */
    record Result(long validEnd, long records, long tornTailBytes) {}

    private SegmentScanner() {}

    static Result scan(Segment segment, boolean newest, Sink sink, List<CorruptRecord> corrupt) throws IOException {
        ByteBuffer buf = segment.readAll();
        int end = buf.limit();
        int pos = Segment.HEADER;
        long records = 0;
        while (pos < end) {
            int frame = RecordCodec.validFrameAt(buf, pos);
            if (frame > 0) {
                Rec rec;
                try {
                    rec = RecordCodec.decode(buf, pos, frame);
                } catch (MalformedRecordException e) {
                    quarantine(segment, buf, pos, frame, "unparsable record: " + e.getMessage(), corrupt);
                    pos += frame;
                    continue;
                }
                if (!(rec instanceof PadRec)) {
                    sink.accept(rec, pos, frame);
                    records++;
                }
                pos += frame;
                continue;
            }
            if (newest && zeros(buf, pos, end)) {
                segment.size(pos); // the space written ahead of the log: a clean end, kept for appends
                return new Result(pos, records, 0);
            }
            int next = nextValidFrame(buf, pos + 1);
            if (next < 0) {
                long tail = end - pos;
                if (!newest) {
                    quarantine(segment, buf, pos, (int) tail, describe(buf, pos), corrupt);
                    tail = 0;
                } else {
                    log.warn("{}: cutting off a torn tail of {} bytes at byte {}", segment.path(), tail, pos);
                }
                segment.truncate(pos);
                return new Result(pos, records, tail);
            }
            quarantine(segment, buf, pos, next - pos, describe(buf, pos), corrupt);
            pos = next;
        }
        segment.size(end);
        return new Result(end, records, 0);
    }

    private static boolean zeros(ByteBuffer buf, int from, int to) {
        for (int p = from; p < to; p++) {
            if (buf.get(p) != 0) {
                return false;
            }
        }
        return true;
    }

    private static int nextValidFrame(ByteBuffer buf, int from) {
        for (int p = from; p <= buf.limit() - RecordCodec.FRAME_HEADER - RecordCodec.MIN_BODY; p++) {
            if (RecordCodec.validFrameAt(buf, p) > 0) {
                return p;
            }
        }
        return -1;
    }

    private static String describe(ByteBuffer buf, int pos) {
        if (buf.limit() - pos < RecordCodec.FRAME_HEADER + RecordCodec.MIN_BODY) {
            return "incomplete frame header";
        }
        int length = buf.getInt(pos);
        if (length < RecordCodec.MIN_BODY || length > RecordCodec.MAX_BODY) {
            return "impossible record length " + length;
        }
        if (length > buf.limit() - pos - RecordCodec.FRAME_HEADER) {
            return "record length " + length + " runs past the end of the file";
        }
        return "CRC32C mismatch";
    }

    /**
     * Copies the bad bytes beside the segment, then overwrites them with a pad frame (when there is room
     * for one) so that the next open does not report them again.
     */
    static void quarantine(Segment segment, ByteBuffer buf, int pos, int length, String reason,
            List<CorruptRecord> corrupt) throws IOException {
        Path target = segment.path().resolveSibling(segment.path().getFileName() + "." + pos + ".quarantine");
        Files.write(target, toArray(buf.slice(pos, length)), StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
        CorruptRecord record = new CorruptRecord(segment.path(), pos, length, reason, target);
        log.error("corrupt journal record: {}", record);
        corrupt.add(record);
        if (length >= RecordCodec.FRAME_HEADER + RecordCodec.MIN_BODY) {
            segment.overwrite(pos, RecordCodec.pad(length));
        }
    }

    private static byte[] toArray(ByteBuffer slice) {
        byte[] bytes = new byte[slice.remaining()];
        slice.get(bytes);
        return bytes;
    }
}
