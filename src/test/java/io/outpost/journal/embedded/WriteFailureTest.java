package io.outpost.journal.embedded;

import static io.outpost.journal.embedded.Drafts.draft;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.journal.Entry;
import io.outpost.journal.JournalException;
import io.outpost.journal.JournalInDoubtException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real I/O failures, not mocks. Tests run as root, so permissions do not stop writes; instead the
 * directory is replaced by a plain file (ENOTDIR when a new segment is created) and a child JVM runs
 * under a file size limit (EFBIG mid-batch, the same code path as ENOSPC on a full disk). Only a failed
 * batch that cannot be cut back off the file (a device error) is not real: the writer's {@code cutBack}
 * is made to fail.
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

    @Test
    void aFailedBatchThatCannotBeCutBackIsInDoubtAndWhatReachedTheDiskComesBackInDoubt() throws Exception {
        Path dir = tmp.resolve("pos");
        List<String> lines = runFailedBatchChild(dir, "cut-back-fails");

        List<String> batch = lines.stream().filter(l -> l.matches("(ACK|FAILED) b\\d .*")).toList();
        assertThat(batch).hasSize(10).allSatisfy(l -> assertThat(l)
                .startsWith("FAILED ").contains(" " + JournalInDoubtException.class.getName() + " ")
                .contains("File too large").contains("cutting the batch back failed too")
                .contains("Input/output error"));
        // A later write was never written: it fails as every write to the broken journal does, not in doubt.
        assertThat(lines).anySatisfy(l -> assertThat(l)
                .startsWith("FAILED later " + JournalException.class.getName() + " ")
                .contains("unusable after a failed write could not be cut back"));

        try (EmbeddedJournal journal = EmbeddedJournal.open(JournalOptions.builder(dir).replicas("cloud", "edge").build())) {
            // The kernel took the batch up to the limit: its whole records are there, undecided, the one it cut
            // short is a torn tail, and what came after never reached the file.
            List<String> inDoubt = journal.inDoubt().stream().map(Entry::idempotencyKey).toList();
            assertThat(inDoubt).isNotEmpty().hasSizeLessThan(10);
            assertThat(inDoubt).isEqualTo(IntStream.range(0, inDoubt.size()).mapToObj(i -> "b" + i).toList());
            assertThat(journal.recoveryReport().tornTailBytes()).isPositive();
            assertThat(journal.findByIdempotencyKey("b" + inDoubt.size())).isEmpty();
            assertThat(journal.findByIdempotencyKey("later")).isEmpty();
            assertThat(journal.findByIdempotencyKey("a")).isPresent();
        }
    }

    @Test
    void aFailedBatchThatIsCutBackFailsPlainlyAndNothingOfItComesBack() throws Exception {
        Path dir = tmp.resolve("pos");
        List<String> lines = runFailedBatchChild(dir, "cut-back-works");

        List<String> batch = lines.stream().filter(l -> l.matches("(ACK|FAILED) b\\d .*")).toList();
        assertThat(batch).hasSize(10).allSatisfy(l -> assertThat(l)
                .startsWith("FAILED ").contains(" " + JournalException.class.getName() + " ")
                .contains("File too large").doesNotContain(JournalInDoubtException.class.getSimpleName()));
        assertThat(lines).contains("ACK later");

        try (EmbeddedJournal journal = EmbeddedJournal.open(JournalOptions.builder(dir).replicas("cloud", "edge").build())) {
            assertThat(journal.recoveryReport().clean()).as("the failed batch was cut back").isTrue();
            assertThat(journal.inDoubt()).isEmpty();
            for (int i = 0; i < 10; i++) {
                assertThat(journal.findByIdempotencyKey("b" + i)).isEmpty();
            }
            assertThat(journal.findByIdempotencyKey("later")).isPresent();
        }
    }

    /** Runs {@link FailedBatchChild} under a 64 KiB file size limit; its output lines. */
    private List<String> runFailedBatchChild(Path dir, String mode) throws Exception {
        Path stderr = tmp.resolve("child.err");
        ChildJvm child = ChildJvm.start("ulimit -f 64", FailedBatchChild.class, stderr, dir.toString(), mode);
        assertThat(child.awaitExit()).as("child exit code (see %s)", stderr).isZero();
        assertThat(child.lines).contains("COMMITTED a");
        return child.lines;
    }
}
