package io.outpost.replication;

import io.outpost.journal.Entry;
import io.outpost.journal.Journal;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

/**
 * The writes a crash left in doubt (journaled, neither committed nor aborted), committed once the service is
 * built rather than while it is: the commit records wait for an fsync, which on a busy or failing disk may take
 * seconds, and a start or a configuration reload must not wait for it. Each of them may have been processed
 * (its {@code Idempotency-Key} lets a replica drop the duplicate), so it is committed, and until that is
 * durable the service accepts no write: a new write of such a session would be delivered ahead of the one in
 * doubt (G3). Reads of those sessions are not served either: no replica is known to have the write, which its
 * client may have seen acknowledged (G5).
 */
final class InDoubt {

    /** Nothing in doubt: a journal that could not be opened. */
    static final InDoubt NONE = new InDoubt(List.of());

    private final List<Long> sequences;
    private final Set<String> sessions;
    /** Set once every commit record is durable; never, when one failed. */
    private volatile boolean settled;

    private InDoubt(List<Entry> entries) {
        this.sequences = entries.stream().map(Entry::sequence).toList();
        this.sessions = entries.stream().map(Entry::sessionKey).collect(Collectors.toUnmodifiableSet());
        this.settled = entries.isEmpty();
    }

    /** What the journal left in doubt when it opened (read from it; nothing is written yet). */
    static InDoubt of(Journal journal) {
        return new InDoubt(journal.inDoubt());
    }

    /**
     * Commits every entry in doubt, without waiting: the future completes (on the journal's writer thread, as a
     * rule) once every commit record is durable, or fails with the first failure.
     */
    CompletableFuture<Void> commit(Journal journal) {
        return CompletableFuture.allOf(sequences.stream().map(journal::commit).toArray(CompletableFuture[]::new))
                .thenRun(() -> settled = true);
    }

    int count() {
        return sequences.size();
    }

    /** Why writes are refused meanwhile, or empty once every entry in doubt is committed. */
    Optional<String> pending() {
        return settled ? Optional.empty() : Optional.of(count() + (count() == 1 ? " write" : " writes")
                + " left in doubt by the last run");
    }

    /** True while {@code session} has an entry in doubt that is not committed yet. */
    boolean blocks(String session) {
        return !settled && sessions.contains(session);
    }
}
