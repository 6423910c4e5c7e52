package io.outpost.journal.embedded;

import io.outpost.journal.JournalException;
import io.outpost.journal.embedded.JournalIndex.Location;
import io.outpost.journal.embedded.RecordCodec.EntryRec;
import io.outpost.journal.embedded.RecordCodec.Rec;
import java.io.IOException;
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
        long records = 0;
        long entries = 0;
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
                nextSequence = Math.max(nextSequence, segment.baseSequence());
                long[] entryCount = {0};
                SegmentScanner.Result result = SegmentScanner.scan(segment, newest, (rec, offset, length) -> {
                    if (rec instanceof EntryRec) {
                        entryCount[0]++;
                    }
                    apply(rec, new Location(id, offset, length));
                }, corrupt);
                records += result.records();
                entries += entryCount[0];
                torn += result.tornTailBytes();
            }
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
        return new RecoveryReport(segments.size(), records, entries, torn, corrupt, inDoubt[0]);
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
