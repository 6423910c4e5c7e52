package io.outpost.journal.embedded;

import io.outpost.journal.EntryDraft;
import java.nio.file.Path;
import java.util.concurrent.Semaphore;

/**
 * Appends until it is killed, printing {@code ACK <sequence> <key>} for every append whose future
 * completed, that is, every append the journal acknowledged as durable. Run by {@link CrashSafetyTest}.
 */
public final class CrashChild {

    private CrashChild() {}

    public static void main(String[] args) throws Exception {
        EmbeddedJournal journal = EmbeddedJournal.open(JournalOptions.builder(Path.of(args[0]))
                .replicas("cloud", "edge").segmentBytes(256 * 1024).build());
        System.out.println("READY");
        System.out.flush();
        Semaphore inFlight = new Semaphore(32);
        for (int i = 0; ; i++) {
            inFlight.acquire();
            String key = "crash-" + i;
            EntryDraft draft = Drafts.draft("session-" + (i % 7), key, 200 + (i * 37) % 1500);
            journal.append(draft).whenComplete((entry, failure) -> {
                if (failure == null) {
                    synchronized (System.out) {
                        System.out.println("ACK " + entry.sequence() + " " + key);
                        System.out.flush();
                    }
                    if (entry.sequence() % 2 == 0) {
                        journal.commit(entry.sequence());
                    }
                }
                inFlight.release();
            });
        }
    }
}
