package io.outpost.journal.embedded;

import static io.outpost.journal.embedded.Drafts.draft;
import static io.outpost.journal.embedded.WriterHooks.once;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.outpost.journal.Entry;
import io.outpost.journal.JournalException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A writer thread that stops while the journal is open (interrupted, or an exception outside a batch) must
 * not leave writes waiting: what it had taken, what is queued and whatever comes later fail with a
 * {@link JournalException}, and closing the journal returns. The writer is stopped through its
 * {@code beforeBatch} hook, which runs on the writer thread after it took a batch.
 */
class WriterStopTest {

    @TempDir
    Path dir;

    final Logger writerLog = (Logger) LoggerFactory.getLogger(GroupCommitWriter.class);
    final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    EmbeddedJournal journal;

    @BeforeEach
    void captureLog() {
        logged.start();
        writerLog.addAppender(logged);
    }

    @AfterEach
    void close() throws Exception {
        writerLog.detachAppender(logged);
        if (journal != null) {
            closeWithin5Seconds(journal);
        }
    }

    EmbeddedJournal open(int maxQueued) {
        journal = EmbeddedJournal.open(JournalOptions.builder(dir.resolve("pos")).replicas("cloud", "edge")
                .maxQueued(maxQueued).build());
        return journal;
    }

    @Test
    void anInterruptedWriterFailsTheWritesQueuedBehindItAndEveryLaterOne() throws Exception {
        open(100);
        Entry a = journal.append(draft("s", "a")).join();
        List<CompletableFuture<?>> queued = new ArrayList<>();
        journal.writer().beforeBatch = once(() -> {
            queued.add(journal.append(draft("s", "c")));
            queued.add(journal.commit(a.sequence()));
            Thread.currentThread().interrupt();
        });

        CompletableFuture<Entry> b = journal.append(draft("s", "b")); // its batch is written with the thread interrupted
        assertFails(b, "pos");
        assertThat(queued).hasSize(2);
        for (CompletableFuture<?> f : queued) {
            assertFails(f, "the writer stopped (its thread was interrupted)");
        }

        CompletableFuture<Entry> later = journal.append(draft("s", "d"));
        assertThat(later).isCompletedExceptionally(); // at once, not after a wait
        assertFails(later, "no write is accepted until the journal is reopened");
        assertThat(writerStoppedLogs()).isEqualTo(1);
    }

    @Test
    void anErrorOutsideABatchFailsThatBatchWhatIsQueuedAndEveryLaterWriteAndIsLoggedOnce() throws Exception {
        open(100);
        List<CompletableFuture<?>> queued = new ArrayList<>();
        journal.writer().beforeBatch = once(() -> {
            queued.add(journal.append(draft("s", "c")));
            queued.add(journal.append(draft("t", "d")));
            throw new OutOfMemoryError("injected");
        });

        CompletableFuture<Entry> b = journal.append(draft("s", "b"));
        assertFails(b, "the writer stopped (java.lang.OutOfMemoryError: injected)");
        for (CompletableFuture<?> f : queued) {
            assertFails(f, "the writer stopped (java.lang.OutOfMemoryError: injected)");
        }
        for (int i = 0; i < 3; i++) {
            CompletableFuture<Entry> later = journal.append(draft("s", "later" + i));
            assertThat(later).isCompletedExceptionally();
            assertFails(later, "no write is accepted until the journal is reopened");
        }
        assertThat(writerStoppedLogs()).isEqualTo(1);

        closeWithin5Seconds(journal);
        journal = EmbeddedJournal.open(JournalOptions.builder(dir.resolve("pos")).replicas("cloud", "edge").build());
        assertThat(journal.findByIdempotencyKey("b")).isEmpty();
        assertThat(journal.append(draft("s", "after")).get(5, TimeUnit.SECONDS).sequence()).isEqualTo(1);
    }

    @Test
    void aDeadWriterIsTheJournalsFailureAndEveryWriteItRefusesIsCounted() throws Exception {
        open(100);
        assertThat(journal.failure()).isEmpty();
        List<CompletableFuture<?>> queued = new ArrayList<>();
        journal.writer().beforeBatch = once(() -> {
            queued.add(journal.append(draft("s", "c")));
            throw new IllegalStateException("injected");
        });

        assertFails(journal.append(draft("s", "b")), "the writer stopped");
        assertFails(queued.get(0), "the writer stopped");
        assertThat(journal.failure()).hasValueSatisfying(f -> assertThat(f)
                .contains("journal " + dir.resolve("pos") + ": the writer stopped (java.lang.IllegalStateException: "
                        + "injected); no write is accepted until the journal is reopened"));
        assertThat(journal.metrics().failedWrites()).isEqualTo(2);
        assertFails(journal.commit(1), "the writer stopped");
        assertThat(journal.metrics().failedWrites()).isEqualTo(3);
    }

    @Test
    void closeReturnsWhenTheWriterDiedWithAFullQueue() throws Exception {
        open(2);
        List<CompletableFuture<?>> queued = new ArrayList<>();
        journal.writer().beforeBatch = once(() -> {
            for (int i = 0; i < 3; i++) {
                queued.add(journal.append(draft("s", "q" + i)));
            }
            throw new IllegalStateException("injected");
        });

        CompletableFuture<Entry> b = journal.append(draft("s", "b"));
        assertFails(b, "the writer stopped");
        assertFails(queued.get(2), "more than 2 writes queued");
        closeWithin5Seconds(journal);
        journal = null;
        for (CompletableFuture<?> f : queued) {
            assertThat(f).isCompletedExceptionally();
        }
    }

    private static void assertFails(CompletableFuture<?> future, String message) {
        assertThatThrownBy(() -> future.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(JournalException.class).hasMessageContaining(message);
    }

    private long writerStoppedLogs() {
        return logged.list.stream().filter(e -> e.getLevel() == Level.ERROR
                && e.getFormattedMessage().contains("journal writer " + dir.resolve("pos") + " stopped")).count();
    }

    private static void closeWithin5Seconds(EmbeddedJournal journal) throws Exception {
        CompletableFuture<Void> closed = CompletableFuture.runAsync(journal::close);
        closed.get(5, TimeUnit.SECONDS);
    }
}
