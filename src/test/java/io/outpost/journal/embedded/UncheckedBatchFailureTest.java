package io.outpost.journal.embedded;

import static io.outpost.journal.embedded.Drafts.draft;
import static io.outpost.journal.embedded.WriterHooks.failingAt;
import static io.outpost.journal.embedded.WriterHooks.once;
import static io.outpost.journal.embedded.WriterHooks.queueBehindNextBatch;
import static io.outpost.journal.embedded.WriterHooks.sneaky;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.outpost.journal.Entry;
import io.outpost.journal.JournalException;
import io.outpost.journal.JournalInDoubtException;
import io.outpost.journal.embedded.GroupCommitWriter.MarkOp;
import io.outpost.journal.embedded.RecordCodec.OutcomeRec;
import io.outpost.testing.MutableClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

/**
 * A batch that fails with an unchecked exception or an error rather than an IOException. Before any of it is
 * written (while it is staged, or through the writer's {@code beforeWrite} hook), its writes fail, the sequences it
 * took are given back, so that numbering stays dense, and the journal goes on. Once it may be in the file (the
 * {@code beforeForce} hook, which runs after the real write), it is cut back as after an I/O error, or is in doubt
 * when that fails too (the writer's {@code cutBack} is made to fail, as in {@link WriteFailureTest}).
 */
class UncheckedBatchFailureTest {

    @TempDir
    Path dir;

    final MutableClock clock = new MutableClock(Instant.parse("2025-01-01T10:00:00Z"));
    final Logger writerLog = (Logger) LoggerFactory.getLogger(GroupCommitWriter.class);
    final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    EmbeddedJournal journal;

    @BeforeEach
    void captureLog() {
        logged.start();
        writerLog.addAppender(logged);
    }

    @AfterEach
    void close() {
        writerLog.detachAppender(logged);
        if (journal != null) {
            journal.close();
        }
    }

    void open() {
        journal = EmbeddedJournal.open(JournalOptions.builder(dir.resolve("pos")).replicas("cloud", "edge")
                .clock(clock).build());
    }

    static Stream<Throwable> unchecked() {
        return Stream.of(new IllegalStateException("injected"), new OutOfMemoryError("Direct buffer memory"));
    }

    @ParameterizedTest
    @MethodSource("unchecked")
    void aBatchThatFailsBeforeItIsWrittenGivesItsSequencesBackAndTheJournalGoesOn(Throwable injected)
            throws Exception {
        open();
        // Queued while p's batch is written, so they make the next batch together; 1 is p's sequence.
        List<CompletableFuture<?>> batch = queueBehindNextBatch(journal);
        journal.writer().beforeWrite = failingAt(2, injected);

        Entry p = journal.append(draft("s", "p")).get(5, TimeUnit.SECONDS);
        assertThat(p.sequence()).isEqualTo(1);
        assertThat(batch).hasSize(3);
        for (CompletableFuture<?> f : batch) {
            assertNotWritten(f, injected.toString());
        }
        assertThat(journal.metrics().failedWrites()).isEqualTo(3);
        assertThat(journal.failure()).isEmpty();
        assertThat(logged.list).as("logged with its stack trace").anyMatch(e -> e.getLevel() == Level.ERROR
                && e.getThrowableProxy() != null
                && e.getThrowableProxy().getClassName().equals(injected.getClass().getName()));

        // No hole: the next append takes the sequence after p, and the journal goes on without being reopened.
        Entry d = journal.append(draft("s", "d")).get(5, TimeUnit.SECONDS);
        assertThat(d.sequence()).isEqualTo(2);
        journal.commit(p.sequence()).get(5, TimeUnit.SECONDS);
        assertThat(journal.findByIdempotencyKey("b")).isEmpty();
        Entry b = journal.append(draft("s", "b")).get(5, TimeUnit.SECONDS);
        assertThat(b.sequence()).isEqualTo(3);

        reopen();
        assertThat(journal.recoveryReport().clean()).isTrue();
        assertThat(journal.recoveryReport().entries()).isEqualTo(3);
        assertThat(journal.inDoubt()).as("d and b; p's commit is in the log").containsExactly(d, b);
        assertThat(journal.findByIdempotencyKey("p")).contains(p);
        assertThat(journal.findByIdempotencyKey("c")).isEmpty();
        assertThat(journal.append(draft("t", "c")).get(5, TimeUnit.SECONDS).sequence()).isEqualTo(4);
    }

    @Test
    void aBatchThatFailsWhileItIsStagedGivesBackTheSequencesItsEntriesTook() throws Exception {
        open();
        List<CompletableFuture<?>> batch = new ArrayList<>();
        journal.writer().beforeBatch = once(() -> {
            batch.add(journal.append(draft("s", "b")));
            batch.add(journal.append(draft("t", "c")));
            // Staged after b and c: sizing a record without its outcome throws (a NullPointerException).
            CompletableFuture<Void> malformed = new CompletableFuture<>();
            journal.writer().submit(new MarkOp(1, new OutcomeRec(1, null), malformed), malformed);
            batch.add(malformed);
        });

        Entry p = journal.append(draft("s", "p")).get(5, TimeUnit.SECONDS);
        assertThat(batch).hasSize(3);
        for (CompletableFuture<?> f : batch) {
            assertNotWritten(f, NullPointerException.class.getName());
        }
        assertThat(journal.metrics().failedWrites()).isEqualTo(3);

        Entry d = journal.append(draft("s", "d")).get(5, TimeUnit.SECONDS);
        assertThat(d.sequence()).isEqualTo(p.sequence() + 1);
        reopen();
        assertThat(journal.recoveryReport().clean()).isTrue();
        assertThat(journal.inDoubt()).containsExactly(p, d);
    }

    static Stream<Throwable> writeFailures() {
        return Stream.of(new UncheckedIOException(new IOException("Input/output error")),
                new InternalError("injected"));
    }

    @ParameterizedTest
    @MethodSource("writeFailures")
    void aWriteThatFailsUncheckedIsCutBackAndFailsPlainly(Throwable injected) throws Exception {
        open();
        Entry p = journal.append(draft("s", "p")).get(5, TimeUnit.SECONDS);
        List<CompletableFuture<Entry>> batch = failNextWrite(p, injected);

        for (CompletableFuture<Entry> f : batch) {
            assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isExactlyInstanceOf(JournalException.class)
                    .hasMessage("cannot write journal segment " + segment() + ": " + injected)
                    .hasCause(injected);
        }
        assertThat(journal.metrics().failedWrites()).isEqualTo(2);
        assertThat(journal.failure()).isEmpty();

        Entry d = journal.append(draft("s", "d")).get(5, TimeUnit.SECONDS);
        assertThat(d.sequence()).isEqualTo(2);

        reopen();
        assertThat(journal.recoveryReport().clean()).as("the failed batch was cut back").isTrue();
        assertThat(journal.recoveryReport().records()).as("p, its commit and d").isEqualTo(3);
        assertThat(journal.inDoubt()).containsExactly(d);
        assertThat(journal.findByIdempotencyKey("b")).isEmpty();
        assertThat(journal.findByIdempotencyKey("c")).isEmpty();
        assertThat(journal.append(draft("s", "b")).get(5, TimeUnit.SECONDS).sequence()).isEqualTo(3);
    }

    static Stream<Supplier<Throwable>> cutBackFailures() {
        return Stream.of(() -> new IOException("Input/output error"),
                () -> new UncheckedIOException(new IOException("Input/output error")));
    }

    @ParameterizedTest
    @MethodSource("cutBackFailures")
    void anUncheckedWriteFailureThatCannotBeCutBackIsInDoubtUntilTheJournalIsReopened(Supplier<Throwable> cutBack)
            throws Exception {
        open();
        Entry p = journal.append(draft("s", "p")).get(5, TimeUnit.SECONDS);
        journal.writer().cutBack = (segment, length) -> {
            throw sneaky(cutBack.get());
        };
        UncheckedIOException injected = new UncheckedIOException(new IOException("Input/output error"));
        List<CompletableFuture<Entry>> batch = failNextWrite(p, injected);

        for (CompletableFuture<Entry> f : batch) {
            assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOfSatisfying(JournalInDoubtException.class, e -> {
                        assertThat(e.stored()).as("stored").isFalse();
                        assertThat(e).hasMessageStartingWith("cannot write journal segment " + segment() + ": "
                                + injected + "; cutting the batch back failed too").hasCause(injected);
                    });
        }
        assertThat(journal.metrics().failedWrites()).isEqualTo(2);
        assertThat(journal.failure()).hasValueSatisfying(f -> assertThat(f)
                .contains("is unusable after a failed write could not be cut back"));
        assertThatThrownBy(() -> journal.append(draft("s", "later")).get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).cause().isExactlyInstanceOf(JournalException.class)
                .hasMessageContaining("is unusable after a failed write could not be cut back");

        // b and c reached the file (written, not forced): they come back in doubt.
        reopen();
        long at = clock.millis();
        assertThat(journal.inDoubt()).containsExactly(Entry.of(2, draft("s", "b"), at), Entry.of(3, draft("t", "c"), at));
        assertThat(journal.findByIdempotencyKey("later")).isEmpty();
        assertThat(journal.append(draft("s", "after")).get(5, TimeUnit.SECONDS).sequence()).isEqualTo(4);
    }

    /**
     * Commits {@code p}, then appends b and c as one batch whose write reaches the file and then fails with
     * {@code injected} before it is forced; their futures. Call it once p's batch is written.
     */
    private List<CompletableFuture<Entry>> failNextWrite(Entry p, Throwable injected) throws Exception {
        List<CompletableFuture<Entry>> batch = new ArrayList<>();
        CompletableFuture<Void> held = new CompletableFuture<>();
        CompletableFuture<Void> release = new CompletableFuture<>();
        // The writer holds the commit's batch until b and c are queued behind it, so they are written together.
        journal.writer().beforeBatch = once(() -> {
            held.complete(null);
            release.join();
        });
        journal.writer().beforeForce = failingAt(2, injected);
        CompletableFuture<Void> commit = journal.commit(p.sequence());
        held.get(5, TimeUnit.SECONDS);
        batch.add(journal.append(draft("s", "b")));
        batch.add(journal.append(draft("t", "c")));
        release.complete(null);
        commit.get(5, TimeUnit.SECONDS);
        return batch;
    }

    private Path segment() {
        return dir.resolve("pos").resolve("00000000000000000001.seg");
    }

    private void reopen() {
        journal.close();
        open();
    }

    private void assertNotWritten(CompletableFuture<?> future, String cause) {
        assertThatThrownBy(() -> future.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isExactlyInstanceOf(JournalException.class)
                .hasMessageStartingWith("journal " + segment() + ": a batch failed before it was written (" + cause)
                .hasMessageEndingWith("); none of its writes is stored");
    }
}
