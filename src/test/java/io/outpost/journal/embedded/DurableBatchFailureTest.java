package io.outpost.journal.embedded;

import static io.outpost.journal.embedded.Drafts.draft;
import static io.outpost.journal.embedded.WriterHooks.failingAt;
import static io.outpost.journal.embedded.WriterHooks.once;
import static io.outpost.journal.embedded.WriterHooks.queueBehindNextBatch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.journal.Entry;
import io.outpost.journal.JournalException;
import io.outpost.journal.JournalInDoubtException;
import io.outpost.journal.embedded.GroupCommitWriter.AppendOp;
import io.outpost.testing.MutableClock;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A batch that was written and forced, after which the writer failed (applying it to the index, or completing its
 * futures): its records are on disk, so its writes that were not completed yet fail with
 * {@link JournalInDoubtException}, never as not written, and come back in doubt, with their data, when the journal
 * is opened again. Until then the journal takes no more writes, since its index may disagree with the log. The
 * failure is made through the writer's {@code afterForce} hook, or a future whose completion throws.
 */
class DurableBatchFailureTest {

    @TempDir
    Path dir;

    final MutableClock clock = new MutableClock(Instant.parse("2025-01-01T10:00:00Z"));
    EmbeddedJournal journal;

    @AfterEach
    void close() {
        if (journal != null) {
            journal.close();
        }
    }

    void open() {
        journal = EmbeddedJournal.open(JournalOptions.builder(dir.resolve("pos")).replicas("cloud", "edge")
                .clock(clock).build());
    }

    @Test
    void aDurableBatchTheIndexCannotTakeIsInDoubtAndComesBackInDoubtWhenTheJournalIsReopened() throws Exception {
        open();
        // Queued while p's batch is written, so they make the next batch together; 1 is p's sequence.
        List<CompletableFuture<?>> batch = queueBehindNextBatch(journal);
        journal.writer().afterForce = failingAt(2, new IllegalStateException("injected"));

        Entry p = journal.append(draft("s", "p")).get(5, TimeUnit.SECONDS);
        assertThat(p.sequence()).isEqualTo(1);
        assertThat(batch).hasSize(3);
        for (CompletableFuture<?> f : batch) {
            assertInDoubt(f);
        }
        assertThat(journal.metrics().failedWrites()).isEqualTo(3);
        assertThat(journal.metrics().appends()).as("p, and b and c: durable, though failed").isEqualTo(3);
        // The index does not have what the log has, so the journal takes no more writes until it is reopened.
        assertThat(journal.findByIdempotencyKey("b")).isEmpty();
        assertThat(journal.failure()).hasValueSatisfying(f -> assertThat(f).contains("is unusable after a batch it "
                + "stored could not be applied (java.lang.IllegalStateException: injected); reopen it"));
        // A later write was never written: it fails plainly, not in doubt.
        assertThatThrownBy(() -> journal.append(draft("s", "later")).get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).cause().isExactlyInstanceOf(JournalException.class)
                .hasMessageContaining("is unusable after a batch it stored could not be applied");
        assertThat(journal.metrics().failedWrites()).isEqualTo(4);

        reopen();
        assertThat(journal.recoveryReport().clean()).isTrue();
        long at = clock.millis();
        assertThat(journal.inDoubt()).as("b and c, with their data")
                .containsExactly(Entry.of(2, draft("s", "b"), at), Entry.of(3, draft("t", "c"), at));
        assertThat(journal.pending("edge", "s", 10)).as("p's commit is in the log too").containsExactly(p);
        assertThat(journal.findByIdempotencyKey("later")).isEmpty();
        assertThat(journal.append(draft("s", "after")).get(5, TimeUnit.SECONDS).sequence()).isEqualTo(4);
    }

    @Test
    void writesCompletedBeforeTheFailureKeepTheirEntriesAndOnlyTheOthersAreInDoubt() throws Exception {
        open();
        List<CompletableFuture<Entry>> batch = new ArrayList<>();
        journal.writer().beforeBatch = once(() -> {
            batch.add(journal.append(draft("s", "a")));
            CompletableFuture<Entry> b = new CompletableFuture<>() {
                @Override
                public boolean complete(Entry entry) {
                    throw new IllegalStateException("injected");
                }
            };
            journal.writer().submit(new AppendOp(draft("s", "b"), clock.millis(), b), b);
            batch.add(b);
            batch.add(journal.append(draft("s", "c")));
        });

        Entry x = journal.append(draft("s", "x")).get(5, TimeUnit.SECONDS);
        Entry a = batch.get(0).get(5, TimeUnit.SECONDS);
        assertThat(a.sequence()).isEqualTo(2);
        assertInDoubt(batch.get(1));
        assertInDoubt(batch.get(2));
        assertThat(batch.get(0)).as("completed before the failure: not failed again").isCompletedWithValue(a);
        assertThat(journal.metrics().failedWrites()).isEqualTo(2);
        assertThat(journal.metrics().appends()).isEqualTo(4);
        assertThat(journal.failure()).isPresent();
        assertThatThrownBy(() -> journal.commit(a.sequence()).get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).cause().isExactlyInstanceOf(JournalException.class)
                .hasMessageContaining("is unusable after a batch it stored could not be applied");

        reopen();
        long at = clock.millis();
        assertThat(journal.inDoubt()).containsExactly(x, a, Entry.of(3, draft("s", "b"), at),
                Entry.of(4, draft("s", "c"), at));
    }

    private void reopen() {
        journal.close();
        open();
    }

    private void assertInDoubt(CompletableFuture<?> future) {
        assertThatThrownBy(() -> future.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(JournalInDoubtException.class, e -> assertThat(e.stored())
                        .as("stored").isTrue())
                .hasMessageContaining("journal " + dir.resolve("pos").resolve("00000000000000000001.seg") + ": ")
                .hasMessageContaining("a batch was stored but could not be applied "
                        + "(java.lang.IllegalStateException: injected); its writes come back in doubt");
    }
}
