package io.outpost.journal.embedded;

import static io.outpost.journal.embedded.Drafts.draft;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.journal.Entry;
import io.outpost.journal.Header;
import io.outpost.journal.JournalException;
import io.outpost.journal.StoredResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An interrupt of a thread during a {@code FileChannel} operation closes that channel. Reads run on whatever
 * thread calls the journal (event loops, the gateway's scheduler, the configuration thread building a
 * service), so neither an interrupted reader nor an interrupted writer may leave the segment unreadable or
 * break the other. The cache is off: every read below goes to the file.
 */
class InterruptedThreadTest {

    @TempDir
    Path dir;

    EmbeddedJournal journal;

    @AfterEach
    void close() throws Exception {
        Thread.interrupted();
        if (journal != null) {
            CompletableFuture.runAsync(journal::close).get(5, TimeUnit.SECONDS);
        }
    }

    private EmbeddedJournal open() {
        journal = EmbeddedJournal.open(JournalOptions.builder(dir.resolve("pos")).replicas("cloud", "edge")
                .cacheBytes(0).build());
        return journal;
    }

    private static final StoredResponse CREATED = StoredResponse.of(201, List.of(new Header("X-Made", "yes")),
            "made".getBytes());

    @Test
    void aWriterInterruptedWhileWritingLeavesTheSegmentReadable() throws Exception {
        open();
        Entry a = journal.append(draft("s", "a")).join();
        journal.settle(a.sequence(), "cloud", 201, CREATED).join();
        AtomicBoolean once = new AtomicBoolean();
        journal.writer().beforeBatch = () -> {
            if (once.compareAndSet(false, true)) {
                Thread.currentThread().interrupt();   // the batch's write then meets the interrupt
            }
        };

        assertThatThrownBy(() -> journal.append(draft("s", "b")).get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(JournalException.class);

        assertThat(journal.pending("edge", "s", 10)).containsExactly(a);
        assertThat(journal.findByIdempotencyKey("a")).contains(a);
        assertThat(journal.response("a")).hasValueSatisfying(r -> assertThat(r.body()).isEqualTo("made".getBytes()));
    }

    @Test
    void aReaderInterruptedWhileReadingBreaksNeitherLaterReadsNorTheWriter() throws Exception {
        open();
        Entry a = journal.append(draft("s", "a")).join();
        journal.commit(a.sequence()).join();

        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> journal.pending("edge", "s", 10)).isInstanceOf(JournalException.class)
                .hasMessageContaining("cannot read " + dir.resolve("pos").resolve("00000000000000000001.seg"));
        assertThat(Thread.interrupted()).as("the interrupt is kept for the caller").isTrue();

        assertThat(journal.pending("edge", "s", 10)).containsExactly(a);
        Entry b = journal.append(draft("s", "b")).get(5, TimeUnit.SECONDS);
        journal.commit(b.sequence()).get(5, TimeUnit.SECONDS);
        assertThat(journal.pending("edge", "s", 10)).containsExactly(a, b);
        assertThat(journal.metrics().failedWrites()).isZero();
    }

    @Test
    void readersOnOtherThreadsKeepReadingWhileOneOfThemIsInterrupted() throws Exception {
        open();
        Entry a = journal.append(draft("s", "a", 4096)).join();
        journal.commit(a.sequence()).join();
        CompletableFuture<Void> interrupted = CompletableFuture.runAsync(() -> {
            Thread.currentThread().interrupt();
            try {
                journal.pending("edge", "s", 10);
            } catch (JournalException expected) {
                // this reader was interrupted; the others below must not notice
            } finally {
                Thread.interrupted();
            }
        });
        for (int i = 0; i < 200; i++) {
            assertThat(journal.pending("edge", "s", 10)).containsExactly(a);
        }
        interrupted.get(5, TimeUnit.SECONDS);
        assertThat(journal.pending("edge", "s", 10)).containsExactly(a);
    }
}
