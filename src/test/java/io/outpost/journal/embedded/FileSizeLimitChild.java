package io.outpost.journal.embedded;

import io.outpost.journal.Entry;
import java.nio.file.Path;
import java.util.concurrent.CompletionException;

/**
 * Runs under {@code ulimit -f}: the kernel refuses writes past the limit (EFBIG, "File too large"),
 * as it would refuse them on a full disk (ENOSPC). Appends until one fails, then shows that reads still
 * work and that the failed write left nothing behind. Run by {@link WriteFailureTest}.
 */
public final class FileSizeLimitChild {

    private FileSizeLimitChild() {}

    public static void main(String[] args) {
        try (EmbeddedJournal journal = EmbeddedJournal.open(JournalOptions.builder(Path.of(args[0]))
                .replicas("cloud", "edge").segmentBytes(16L * 1024 * 1024).build())) {
            for (int i = 0; ; i++) {
                String key = "fill-" + i;
                try {
                    Entry e = journal.append(Drafts.draft("s", key, 1024)).join();
                    System.out.println("ACK " + e.sequence() + " " + key);
                } catch (CompletionException failure) {
                    System.out.println("FAILED " + key + " " + failure.getCause().getMessage());
                    break;
                }
            }
            System.out.println("READ " + journal.findByIdempotencyKey("fill-0").map(Entry::sequence).orElse(-1L));
            System.out.println("FAILED-WRITES " + journal.metrics().failedWrites());
        }
        System.out.flush();
    }
}
