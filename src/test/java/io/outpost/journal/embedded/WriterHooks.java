package io.outpost.journal.embedded;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** Hooks for {@link GroupCommitWriter}'s test seams ({@code beforeBatch}, {@code beforeWrite}, ...). */
final class WriterHooks {

    private WriterHooks() {
    }

    /** Runs {@code action} the first time the hook runs, and nothing after. */
    static Runnable once(Runnable action) {
        AtomicBoolean done = new AtomicBoolean();
        return () -> {
            if (done.compareAndSet(false, true)) {
                action.run();
            }
        };
    }

    /** Throws {@code failure} (checked or not) the {@code n}th time the hook runs, and does nothing otherwise. */
    static Runnable failingAt(int n, Throwable failure) {
        AtomicInteger runs = new AtomicInteger();
        return () -> {
            if (runs.incrementAndGet() == n) {
                throw sneaky(failure);
            }
        };
    }

    /**
     * Makes the next batch taken queue an append of {@code b} (session {@code s}), one of {@code c} (session
     * {@code t}) and a commit of entry 1 while it is written, so that these three make the batch after it
     * together; returns their futures, filled in when that happens.
     */
    static List<CompletableFuture<?>> queueBehindNextBatch(EmbeddedJournal journal) {
        List<CompletableFuture<?>> batch = new ArrayList<>();
        journal.writer().beforeBatch = once(() -> {
            batch.add(journal.append(Drafts.draft("s", "b")));
            batch.add(journal.append(Drafts.draft("t", "c")));
            batch.add(journal.commit(1));
        });
        return batch;
    }

    /** Throws {@code t}, checked or not, from a hook that declares nothing. */
    @SuppressWarnings("unchecked")
    static <T extends Throwable> RuntimeException sneaky(Throwable t) throws T {
        throw (T) t;
    }
}
