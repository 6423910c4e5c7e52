package io.outpost.journal.embedded;

import static io.outpost.journal.embedded.Drafts.draft;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.journal.Entry;
import io.outpost.journal.JournalException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real I/O failures, not mocks. Tests run as root, so permissions do not stop writes; instead the
 * directory is replaced by a plain file (ENOTDIR when a new segment is created) and a child JVM runs
 * under a file size limit (EFBIG mid-batch, the same code path as ENOSPC on a full disk).
 */
class WriteFailureTest {

    @TempDir
    Path tmp;

    @Test
    void openingWhereTheDirectoryIsAFileFailsWithThePath() throws Exception {
        Path file = Files.writeString(tmp.resolve("journal"), "not a directory");
        Path dir = file.resolve("pos");

        assertThatThrownBy(() -> EmbeddedJournal.open(JournalOptions.builder(dir).replicas("edge").build()))
                .isInstanceOf(JournalException.class).hasMessageContaining("cannot open journal " + dir);
    }

    @Test
    void appendsFailClearlyWhileTheDirectoryIsGoneAndWorkAgainOnceItIsBack() throws Exception {
        Path dir = tmp.resolve("pos");
        Path moved = tmp.resolve("pos-moved");
        try (EmbeddedJournal journal = EmbeddedJournal.open(JournalOptions.builder(dir).replicas("cloud", "edge")
                .segmentBytes(1024).build())) {
            Entry before = journal.append(draft("s", "before", 2000)).join();
            journal.commit(before.sequence()).join();
            Entry filler = journal.append(draft("t", "filler", 2000)).join(); // fills segment 2: the next write rolls

            Files.move(dir, moved);
            Files.writeString(dir, "a file where the journal directory was");
            assertThatThrownBy(() -> journal.append(draft("s", "during", 100)).join())
                    .isInstanceOf(CompletionException.class).cause().isInstanceOf(JournalException.class)
                    .hasMessageContaining("cannot create journal segment " + dir.resolve("00000000000000000003.seg"))
                    .hasMessageContaining("Not a directory");
            assertThat(journal.metrics().failedWrites()).isEqualTo(1);
            // reads keep working from the open segment
            assertThat(journal.findByIdempotencyKey("before")).contains(before);
            assertThat(journal.pending("edge", "s", 10)).containsExactly(before);

            Files.delete(dir);
            Files.move(moved, dir);
            Entry after = journal.append(draft("s", "after", 100)).join();
            assertThat(after.sequence()).isEqualTo(filler.sequence() + 1);
        }
        try (EmbeddedJournal journal = EmbeddedJournal.open(JournalOptions.builder(dir).replicas("cloud", "edge").build())) {
            assertThat(journal.recoveryReport().clean()).isTrue();
            assertThat(journal.findByIdempotencyKey("during")).isEmpty();
            assertThat(journal.findByIdempotencyKey("after")).isPresent();
        }
    }

    @Test
    void aWriteTheFileSystemRefusesIsCutBackAndLosesNothingAcknowledged() throws Exception {
        Path dir = tmp.resolve("pos");
        ChildJvm child = ChildJvm.start("ulimit -f 256", FileSizeLimitChild.class, tmp.resolve("child.err"),
                dir.toString());
        assertThat(child.awaitExit()).as("child exit code (see %s)", tmp.resolve("child.err")).isZero();

        List<String> acked = child.lines.stream().filter(l -> l.startsWith("ACK ")).map(l -> l.split(" ")[2]).toList();
        String failed = child.lines.stream().filter(l -> l.startsWith("FAILED ")).findFirst().orElseThrow();
        assertThat(acked).hasSizeGreaterThan(100); // 256 KiB of ~1.1 KiB entries
        assertThat(failed).contains("cannot write journal segment " + dir.resolve("00000000000000000001.seg"))
                .contains("File too large");
        assertThat(child.lines).contains("READ 1", "FAILED-WRITES 1");
        String failedKey = failed.split(" ")[1];

        // space is back (no limit in this JVM): everything acknowledged is there, the failed write is not
        try (EmbeddedJournal journal = EmbeddedJournal.open(JournalOptions.builder(dir).replicas("cloud", "edge").build())) {
            assertThat(journal.recoveryReport().clean()).as("the failed batch was cut back").isTrue();
            assertThat(journal.recoveryReport().entries()).isEqualTo(acked.size());
            for (String key : acked) {
                assertThat(journal.findByIdempotencyKey(key)).isPresent();
            }
            assertThat(journal.findByIdempotencyKey(failedKey)).isEmpty();
            Entry retried = journal.append(draft("s", failedKey, 1024)).join();
            assertThat(retried.sequence()).isEqualTo(acked.size() + 1);
        }
    }
}
