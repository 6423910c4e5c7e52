package io.outpost.journal.embedded;

import io.outpost.journal.JournalException;
import io.outpost.journal.embedded.JournalIndex.Location;
import io.outpost.journal.embedded.RecordCodec.EntryRec;
import io.outpost.journal.embedded.RecordCodec.Rec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentNavigableMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds the index from the segments, oldest first, replaying every record in log order. Afterwards
 * the newest segment ends at its last valid record and is ready for appends.
 */
final class Recovery {

    private static final Logger log = LoggerFactory.getLogger(Recovery.class);

    private final Path directory;
    private final JournalIndex index;
    private final ConcurrentNavigableMap<Long, Segment> segments;
    private long nextSequence = 1;

    Recovery(Path directory, JournalIndex index, ConcurrentNavigableMap<Long, Segment> segments) {
        this.directory = directory;
        this.index = index;
        this.segments = segments;
    }

    long nextSequence() {
        return nextSequence;
    }

    RecoveryReport run() throws IOException {
        List<Path> files = EmbeddedJournal.segmentFiles(directory);
        List<CorruptRecord> corrupt = new ArrayList<>();
        List<long[]> spans = new ArrayList<>();
        long records = 0;
        long[] entryCount = {0};
        long torn = 0;
        int[] inDoubt = {0};
        try {
            for (int i = 0; i < files.size(); i++) {
                Path file = files.get(i);
                long id = parseId(file);
                boolean newest = i == files.size() - 1;
                Segment segment = Segment.open(file, id);
                if (segment.baseSequence() < 0) {
                    segment.close();
                    if (!newest) {
                        throw new JournalException(file + ": segment header is incomplete, but newer segments follow");
                    }
                    log.warn("{}: removing a segment whose creation was cut short", file);
                    Files.delete(file);
                    continue;
                }
                segments.put(id, segment);
                // The lowest and highest entry sequence in the segment.
                long[] span = {Long.MAX_VALUE, 0};
                SegmentScanner.Result result = SegmentScanner.scan(segment, newest, (rec, offset, length) -> {
                    if (rec instanceof EntryRec r) {
                        span[0] = Math.min(span[0], r.entry().sequence());
                        span[1] = Math.max(span[1], r.entry().sequence());
                        entryCount[0]++;
                    }
                    apply(rec, new Location(id, offset, length));
                }, corrupt);
                spans.add(span);
                records += result.records();
                torn += result.tornTailBytes();
            }
            checkBases(spans, corrupt);
            if (segments.isEmpty()) {
                long id = files.isEmpty() ? 1 : parseId(files.get(files.size() - 1));
                Segment first = Segment.create(directory, id, nextSequence);
                segments.put(first.id(), first);
            }
            index.write(() -> inDoubt[0] = index.markInDoubt());
        } catch (IOException | RuntimeException e) {
            for (Segment s : segments.values()) {
                s.close();
            }
            throw e;
        }
        return new RecoveryReport(segments.size(), records, entryCount[0], torn, corrupt, inDoubt[0]);
    }

    /**
     * Checks each segment's first sequence, which numbering and compaction go by, against the entries
     * {@code spans} says each segment holds: it is above every entry of the older segments (they were
     * numbered before it was created) and at most the lowest entry in it or in a newer one. The header
     * has no checksum, so one outside those bounds was damaged: it is reported and rewritten as the
     * lowest it can be. Left as it was, a first sequence that went up would make numbering jump, and one
     * that went down would let compaction take the older segment's live entries for settled ones.
     */
    private void checkBases(List<long[]> spans, List<CorruptRecord> corrupt) throws IOException {
        List<Segment> kept = new ArrayList<>(segments.values());
        long[] lowestFrom = new long[kept.size() + 1];
        lowestFrom[kept.size()] = Long.MAX_VALUE;
        for (int i = kept.size() - 1; i >= 0; i--) {
            lowestFrom[i] = Math.min(lowestFrom[i + 1], spans.get(i)[0]);
        }
        long highestBefore = 0;
        for (int i = 0; i < kept.size(); i++) {
            Segment segment = kept.get(i);
            long base = segment.baseSequence();
            long least = highestBefore + 1;
            if ((base < least || base > lowestFrom[i]) && least <= lowestFrom[i]) {
                // The damaged bytes at their place in the header: the report and the copy say where they were.
                ByteBuffer header = ByteBuffer.allocate(Segment.HEADER).putLong(Segment.BASE_AT, base);
                SegmentScanner.quarantine(segment, header, Segment.BASE_AT, Long.BYTES, "first sequence " + base
                        + " in the segment header does not fit the entries around it (expected " + least + ")",
                        corrupt);
                segment.repairBase(least);
            }
            nextSequence = Math.max(nextSequence, segment.baseSequence());
            highestBefore = Math.max(highestBefore, spans.get(i)[1]);
        }
    }

    private void apply(Rec rec, Location location) {
        if (rec instanceof EntryRec r) {
            nextSequence = Math.max(nextSequence, r.entry().sequence() + 1);
        }
        index.apply(rec, location);
    }

    private static long parseId(Path file) {
        String name = file.getFileName().toString();
        try {
            return Long.parseLong(name.substring(0, name.length() - Segment.SUFFIX.length()));
        } catch (NumberFormatException e) {
            throw new JournalException(file + ": not a journal segment name (expected: <20 digits>" + Segment.SUFFIX + ")");
        }
    }
}
