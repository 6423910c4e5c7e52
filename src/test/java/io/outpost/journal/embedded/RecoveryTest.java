package io.outpost.journal.embedded;

import static io.outpost.journal.embedded.Drafts.draft;
import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.journal.Entry;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecoveryTest {

    @TempDir
    Path dir;

    EmbeddedJournal open(long segmentBytes) {
        return EmbeddedJournal.open(JournalOptions.builder(dir).replicas("cloud", "edge").segmentBytes(segmentBytes).build());
    }

    List<Entry> appendAll(EmbeddedJournal journal, int n) {
        List<Entry> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(journal.append(draft("s", "key-" + i, 200)).join());
        }
        return out;
    }

    @Test
    void aTornTailIsCutOffAndEverythingBeforeItKept() throws IOException {
        List<Entry> entries;
        try (EmbeddedJournal journal = open(1 << 20)) {
            entries = appendAll(journal, 5);
        }
        Path segment = EmbeddedJournalFiles.segments(dir).get(0);
        long end = validEnd(segment);
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.allocate(37), end - 37); // the last record was only partly written
        }

        try (EmbeddedJournal journal = open(1 << 20)) {
            RecoveryReport report = journal.recoveryReport();
            assertThat(report.tornTailBytes()).isPositive();
            assertThat(report.corruptRecords()).isEmpty();
            assertThat(report.entries()).isEqualTo(4);
            for (Entry e : entries.subList(0, 4)) {
                assertThat(journal.findByIdempotencyKey(e.idempotencyKey())).contains(e);
            }
            assertThat(journal.findByIdempotencyKey("key-4")).isEmpty();
            Entry again = journal.append(draft("s", "key-4", 200)).join();
            assertThat(again.sequence()).isEqualTo(entries.get(4).sequence());
        }
        try (EmbeddedJournal journal = open(1 << 20)) {
            assertThat(journal.recoveryReport().clean()).isTrue();
            assertThat(journal.recoveryReport().entries()).isEqualTo(5);
        }
    }

    @Test
    void theSpaceWrittenAheadIsReusedAndItsZerosAreACleanEnd() throws IOException {
        List<Entry> entries;
        try (EmbeddedJournal journal = open(1 << 20)) {
            entries = appendAll(journal, 5);
        }
        Path segment = EmbeddedJournalFiles.segments(dir).get(0);
        long end = validEnd(segment);
        long allocated = Files.size(segment);
        assertThat(allocated).as("zero-filled ahead of the records").isGreaterThan(end + 1024);

        try (EmbeddedJournal journal = open(1 << 20)) {
            RecoveryReport report = journal.recoveryReport();
            assertThat(report.clean()).isTrue();
            assertThat(report.tornTailBytes()).isZero();
            assertThat(report.entries()).isEqualTo(5);
            assertThat(journal.append(draft("s", "key-5", 200)).join().sequence())
                    .isEqualTo(entries.get(4).sequence() + 1);
        }
        assertThat(Files.size(segment)).as("the new record went into the zeros").isEqualTo(allocated);
        assertThat(validEnd(segment)).isGreaterThan(end);
        try (EmbeddedJournal journal = open(1 << 20)) {
            assertThat(journal.recoveryReport().clean()).isTrue();
            assertThat(journal.recoveryReport().entries()).isEqualTo(6);
            for (Entry e : entries) {
                assertThat(journal.findByIdempotencyKey(e.idempotencyKey())).contains(e);
            }
        }
    }

    @Test
    void aSegmentIsCutBackToItsLastRecordBeforeTheNextOneStarts() throws IOException {
        try (EmbeddedJournal journal = open(1 << 20)) {
            appendAll(journal, 5);
        }
        Path first = EmbeddedJournalFiles.segments(dir).get(0);
        try (EmbeddedJournal journal = open(1024)) { // smaller segments now: the next batch rolls over
            journal.append(draft("s", "next", 200)).join();
        }
        List<Path> segments = EmbeddedJournalFiles.segments(dir);
        assertThat(segments).hasSize(2).startsWith(first);
        assertThat(Files.size(first)).as("no zeros left behind the last record").isEqualTo(validEnd(first));
        try (EmbeddedJournal journal = open(1024)) {
            assertThat(journal.recoveryReport().clean()).isTrue();
            assertThat(journal.recoveryReport().entries()).isEqualTo(6);
        }
    }

    @Test
    void aCorruptRecordInTheMiddleIsQuarantinedReportedAndSkipped() throws IOException {
        List<Entry> entries;
        try (EmbeddedJournal journal = open(1 << 20)) {
            entries = appendAll(journal, 6);
        }
        Path segment = EmbeddedJournalFiles.segments(dir).get(0);
        byte[] bytes = Files.readAllBytes(segment);
        int at = indexOf(bytes, "key-2\"}".getBytes(StandardCharsets.UTF_8)); // inside entry 3's body
        bytes[at] ^= 0x5A;
        Files.write(segment, bytes);

        try (EmbeddedJournal journal = open(1 << 20)) {
            RecoveryReport report = journal.recoveryReport();
            assertThat(report.corruptRecords()).hasSize(1);
            CorruptRecord bad = report.corruptRecords().get(0);
            assertThat(bad.segment()).isEqualTo(segment);
            assertThat(bad.offset()).isLessThan(at).isGreaterThanOrEqualTo(Segment.HEADER);
            assertThat(bad.offset() + bad.length()).isGreaterThan(at);
            assertThat(bad.reason()).contains("CRC32C mismatch");
            assertThat(bad.toString()).contains(segment.toString()).contains("at byte " + bad.offset());
            assertThat(bad.quarantine().getFileName().toString()).endsWith(".quarantine");
            assertThat(Files.readAllBytes(bad.quarantine()))
                    .isEqualTo(java.util.Arrays.copyOfRange(bytes, (int) bad.offset(), (int) (bad.offset() + bad.length())));
            assertThat(report.tornTailBytes()).isZero();
            assertThat(report.entries()).isEqualTo(5);
            for (Entry e : entries) {
                if (e.idempotencyKey().equals("key-2")) {
                    assertThat(journal.findByIdempotencyKey("key-2")).isEmpty();
                } else {
                    assertThat(journal.findByIdempotencyKey(e.idempotencyKey())).contains(e);
                }
            }
            assertThat(journal.append(draft("s", "key-6", 200)).join().sequence()).isEqualTo(entries.get(5).sequence() + 1);
        }
        try (EmbeddedJournal journal = open(1 << 20)) {
            assertThat(journal.recoveryReport().clean()).as("the bad bytes were padded over").isTrue();
            assertThat(journal.recoveryReport().entries()).isEqualTo(6);
        }
    }

    @Test
    void recoversAcrossManySegmentsAndASegmentWhoseCreationWasCutShort() throws IOException {
        List<Entry> entries;
        try (EmbeddedJournal journal = open(1024)) {
            entries = appendAll(journal, 30);
        }
        List<Path> segments = EmbeddedJournalFiles.segments(dir);
        assertThat(segments.size()).isGreaterThan(3);
        Path next = Segment.pathOf(dir, segments.size() + 1);
        Files.write(next, new byte[] {0x4F, 0x50}); // crash during a roll: the header is incomplete

        try (EmbeddedJournal journal = open(1024)) {
            assertThat(journal.recoveryReport().entries()).isEqualTo(30);
            assertThat(Files.exists(next)).isFalse();
            for (Entry e : entries) {
                assertThat(journal.findByIdempotencyKey(e.idempotencyKey())).contains(e);
            }
            assertThat(journal.append(draft("s", "more", 10)).join().sequence()).isEqualTo(31);
        }
    }

    @Test
    void aSegmentHeaderWhoseFirstSequenceWentUpIsRepairedFromTheLog() throws IOException {
        try (EmbeddedJournal journal = open(1024)) {
            appendAll(journal, 30);
        }
        Path second = EmbeddedJournalFiles.segments(dir).get(1);
        long base = baseOf(second);
        writeBase(second, base | 1L << 40);

        try (EmbeddedJournal journal = open(1024)) {
            RecoveryReport report = journal.recoveryReport();
            assertThat(report.corruptRecords()).singleElement().satisfies(bad -> {
                assertThat(bad.segment()).isEqualTo(second);
                assertThat(bad.offset()).isEqualTo(8);
                assertThat(bad.reason()).contains("first sequence " + (base | 1L << 40)).contains("expected " + base);
            });
            assertThat(report.entries()).isEqualTo(30);
            assertThat(journal.append(draft("s", "more", 10)).join().sequence()).as("numbering goes on").isEqualTo(31);
        }
        assertThat(baseOf(second)).as("repaired on disk").isEqualTo(base);
        try (EmbeddedJournal journal = open(1024)) {
            assertThat(journal.recoveryReport().clean()).isTrue();
        }
    }

    @Test
    void aSegmentHeaderWhoseFirstSequenceWentDownCanNotLetCompactionDeleteLiveEntries() throws IOException {
        List<Entry> entries;
        try (EmbeddedJournal journal = open(1024)) {
            entries = appendAll(journal, 30); // none committed: all of them live
        }
        List<Path> segments = EmbeddedJournalFiles.segments(dir);
        // The second segment now seems to start where the first does: the first seems to hold nothing.
        writeBase(segments.get(1), baseOf(segments.get(0)));

        JournalOptions noRetention = JournalOptions.builder(dir).replicas("cloud", "edge").segmentBytes(1024)
                .retention(java.time.Duration.ZERO).build();
        try (EmbeddedJournal journal = EmbeddedJournal.open(noRetention)) {
            assertThat(journal.recoveryReport().corruptRecords()).hasSize(1);
            journal.compact();
        }
        assertThat(EmbeddedJournalFiles.segments(dir)).contains(segments.get(0));
        try (EmbeddedJournal journal = open(1024)) {
            for (Entry e : entries) {
                assertThat(journal.findByIdempotencyKey(e.idempotencyKey())).contains(e);
            }
        }
    }

    /** The first sequence a segment's header says it may hold. */
    private static long baseOf(Path segment) throws IOException {
        return java.nio.ByteBuffer.wrap(Files.readAllBytes(segment)).getLong(8);
    }

    private static void writeBase(Path segment, long base) throws IOException {
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.allocate(8).putLong(0, base), 8);
        }
    }

    @Test
    void aSecondProcessOrInstanceCannotOpenTheSameJournal() {
        try (EmbeddedJournal journal = open(1 << 20)) {
            assertThat(journal.directory()).isEqualTo(dir);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> open(1 << 20))
                    .isInstanceOf(io.outpost.journal.JournalException.class).hasMessageContaining(dir.toString());
        }
    }

    /** Where the records end: the segment is zero-filled after them. */
    private static long validEnd(Path segment) throws IOException {
        byte[] bytes = Files.readAllBytes(segment);
        int end = bytes.length;
        while (end > 0 && bytes[end - 1] == 0) {
            end--;
        }
        return end;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found: " + new String(needle, StandardCharsets.UTF_8));
    }

}
