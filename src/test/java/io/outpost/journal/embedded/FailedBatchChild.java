package io.outpost.journal.embedded;

import io.outpost.journal.Entry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;

/**
 * Runs under {@code ulimit -f 64}: one batch of ten 10 KiB appends crosses the file size limit, so the kernel
 * takes its first part and refuses the rest (EFBIG). With {@code cut-back-fails}, cutting the batch back fails
 * too: the writer's {@code cutBack} throws, as on a device that stopped writing. Prints how each write of the
 * batch and one later write ended. Run by {@link WriteFailureTest}.
 */
public final class FailedBatchChild {

    private FailedBatchChild() {}

    public static void main(String[] args) throws Exception {
        try (EmbeddedJournal journal = EmbeddedJournal.open(JournalOptions.builder(Path.of(args[0]))
                .replicas("cloud", "edge").segmentBytes(16L * 1024 * 1024).build())) {
            if (args[1].equals("cut-back-fails")) {
                journal.writer().cutBack = (segment, length) -> {
                    throw new IOException("Input/output error");
                };
            }
            Entry a = journal.append(Drafts.draft("s", "a", 100)).join();
            // The writer holds a's commit until the ten appends are queued behind it: they are written as one batch.
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            journal.writer().beforeBatch = () -> {
                if (held.getCount() > 0) {
                    held.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
            CompletableFuture<Void> commit = journal.commit(a.sequence());
            held.await();
            List<CompletableFuture<Entry>> batch = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                batch.add(journal.append(Drafts.draft("s", "b" + i, 10 * 1024)));
            }
            release.countDown();
            commit.join();
            System.out.println("COMMITTED a");
            for (int i = 0; i < batch.size(); i++) {
                System.out.println(outcome("b" + i, batch.get(i)));
            }
            CompletableFuture<Entry> later = journal.append(Drafts.draft("t", "later", 100));
            System.out.println(outcome("later", later.thenCompose(e -> journal.commit(e.sequence()).thenApply(v -> e))));
        }
        System.out.flush();
    }

    /** {@code ACK <key>}, or {@code FAILED <key> <exception class> <message>}. */
    private static String outcome(String key, CompletableFuture<Entry> write) {
        try {
            write.join();
            return "ACK " + key;
        } catch (CompletionException e) {
            return "FAILED " + key + " " + e.getCause().getClass().getName() + " " + e.getCause().getMessage();
        }
    }
}
