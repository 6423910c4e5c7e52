package io.outpost.journal;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The durable record of a replicated service's writes and of what each replica made of them. The
 * replicator answers a client only after {@link #append} completed (G1), delivers to each replica
 * what {@link #pending} returns (G2, G3), and records answers so that nothing is delivered twice (G4).
 * One journal serves one replicated service; implementations other than the embedded one (for example
 * PostgreSQL) keep the same contract.
 *
 * <p>Every write method returns a future that completes once the record is durable. Futures complete
 * on the journal's own writer thread: never block in a callback, hop to an event loop with
 * {@code whenCompleteAsync(..., eventLoop)}. A write that cannot be made durable fails its future with
 * {@link JournalException}; with {@link JournalInDoubtException} when its records may be stored all the same
 * (then it may come back in doubt at the next open). Reads never block on the writer.
 *
 * <pre>{@code
 * journal.append(draft)                                    // durable: now the live replica may see it
 *        .thenCompose(e -> deliverLive(e))                 // the replicator's own code
 *        .thenCompose(r -> journal.recordOutcome(r.seq(), "cloud", r.status())
 *                                 .thenCompose(v -> journal.commit(r.seq())));
 * // background, per replica and session: journal.pending("edge", session, 32) ... recordOutcome(...)
 * }</pre>
 *
 * <p>Life cycle of an entry: appended (undecided) then either committed (some replica processed it;
 * from then on every replica is owed it) or aborted (no replica could process it; never delivered).
 * An entry found undecided when the journal opens is <em>in doubt</em> ({@link #inDoubt()}); it blocks
 * its session's {@link #pending} until the replicator commits or aborts it.
 */
public interface Journal extends AutoCloseable {

    /**
     * Appends a write. The future completes with the numbered entry once it is fsync'ed, or fails with
     * {@link DuplicateIdempotencyKeyException} when a live, not aborted entry already has its key.
     */
    CompletableFuture<Entry> append(EntryDraft draft);

    /**
     * Records a replica's answer ({@code status} 100..599) or {@link Outcome#NOT_REACHED}. An answer
     * removes the entry from that replica's pending entries for good; the time comes from the
     * journal's clock.
     */
    CompletableFuture<Void> recordOutcome(long sequence, String replica, int status);

    /** Marks an entry committed: some replica processed it, so every replica is owed it. */
    CompletableFuture<Void> commit(long sequence);

    /**
     * Marks an entry aborted: no replica could process it and it must never be replayed. Wait for
     * this future before answering the client 503, or a crash could leave the entry in doubt.
     */
    CompletableFuture<Void> abort(long sequence);

    /** Stores the response to the original write, for clients that retry with the same key. */
    CompletableFuture<Void> storeResponse(long sequence, StoredResponse response);

    /**
     * A live write was answered: records {@code replica}'s answer, commits the entry and stores the
     * response, as {@link #recordOutcome}, {@link #commit} and {@link #storeResponse} would, but all
     * three or none become durable. Completes once they are.
     */
    default CompletableFuture<Void> settle(long sequence, String replica, int status, StoredResponse response) {
        return CompletableFuture.allOf(recordOutcome(sequence, replica, status), commit(sequence),
                storeResponse(sequence, response));
    }

    /** Entries that were neither committed nor aborted when the journal opened, and still are not. */
    List<Entry> inDoubt();

    /**
     * The next committed entries of a session that {@code replica} has not answered yet, in journal
     * order, at most {@code max}. Stops before the session's first undecided entry, so a replica never
     * receives a write ahead of an earlier one whose fate is still open. Aborted entries are skipped.
     */
    List<Entry> pending(String replica, String sessionKey, int max);

    /**
     * {@link #pending}, when the journal can answer it from memory without reading a file; empty
     * otherwise. Event loops call this and fall back to {@link #pending} off the loop.
     */
    default Optional<List<Entry>> pendingInMemory(String replica, String sessionKey, int max) {
        return Optional.empty();
    }

    /**
     * True when {@code replica} has not answered some committed entry of the session: it has not caught
     * up on it (G5). Unlike {@link #pending} this reads no entry bodies, so it is cheap enough for
     * every request.
     */
    default boolean hasBacklog(String replica, String sessionKey) {
        return !pending(replica, sessionKey, 1).isEmpty();
    }

    /** Sessions that have at least one committed entry {@code replica} has not answered. */
    Set<String> sessionsWithBacklog(String replica);

    /** The number of committed entries {@code replica} has not answered. */
    long backlog(String replica);

    /** How long the oldest committed entry {@code replica} has not answered has waited; empty when none. */
    Optional<Duration> oldestPendingAge(String replica);

    /** Every outcome recorded for an entry, oldest first; empty when the entry is unknown or compacted. */
    List<Outcome> outcomes(long sequence);

    /** The live entry with this idempotency key (the newest one when an aborted entry had it first); empty when
     * its only entry was aborted (the key may be used again). */
    Optional<Entry> findByIdempotencyKey(String idempotencyKey);

    /** The stored response of the entry with this idempotency key, once it has one. */
    Optional<StoredResponse> response(String idempotencyKey);

    /**
     * False when the journal can tell from memory, without reading a file, that no live entry has this key
     * ({@link #findByIdempotencyKey} and {@link #response} would both be empty); true when one has it or the
     * journal cannot tell without reading. Event loops call this, so that a write with a new key costs no
     * hop, and make those lookups off the loop only when it is true.
     */
    default boolean mayKnowIdempotencyKey(String idempotencyKey) {
        return true;
    }

    /**
     * Removes entries that every replica has answered (or that were aborted) once the retention has
     * passed since they were settled. Whole segments are reclaimed, oldest first.
     */
    CompactionResult compact();

    /** How long a settled entry is kept before {@link #compact} may remove it (its stored response with it). */
    Duration retention();

    /**
     * Changes the retention of the open journal (a configuration reload); the next {@link #compact} uses it.
     *
     * @throws IllegalArgumentException when {@code retention} is negative
     */
    void retention(Duration retention);

    JournalMetrics metrics();

    /**
     * Why this journal accepts no write until it is reopened (its writer stopped, say), or empty while it
     * accepts writes. A write refused for a reason that may pass (a full disk) does not show here: trying it
     * again may succeed, while every write to a journal that reports a failure fails at once.
     */
    default Optional<String> failure() {
        return Optional.empty();
    }

    /** Stops accepting writes, lets queued ones finish, and releases files. */
    @Override
    void close();
}
