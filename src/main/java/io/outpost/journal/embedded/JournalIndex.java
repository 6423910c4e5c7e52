package io.outpost.journal.embedded;

import io.outpost.journal.Entry;
import io.outpost.journal.Outcome;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * The in-memory view of the log, rebuilt from the segments at open: where each live entry is, what
 * state it is in, which replica still owes it, and the idempotency keys. Bodies stay on disk; entries
 * that some replica has still to answer are also kept in memory up to a byte budget, so that their
 * deliveries read no file.
 *
 * <p>The writer thread (and recovery, before it starts) changes the index, and so does compaction,
 * which removes settled entries from its own thread; both do it inside {@link #write}, so the
 * mutators need no lock of their own. Every reader, the writer validating a batch included, reads
 * inside {@link #read}.
 */
final class JournalIndex {

    enum State { UNDECIDED, COMMITTED, ABORTED }

    /** Where a frame is on disk. */
    record Location(long segmentId, long offset, int length) {}

    /** One live entry. Fields change only on the writer thread, under the write lock. */
    static final class Meta {
        final long sequence;
        final Location location;
        final String sessionKey;
        final String idempotencyKey;
        final long receivedAtMillis;
        State state = State.UNDECIDED;
        long decidedAtMillis;
        boolean inDoubt;
        Location response;
        /** The entry itself while it is owed to a replica and fits the cache budget; else null. */
        Entry cached;
        final List<Outcome> outcomes = new ArrayList<>(2);

        Meta(long sequence, Location location, String sessionKey, String idempotencyKey, long receivedAtMillis) {
            this.sequence = sequence;
            this.location = location;
            this.sessionKey = sessionKey;
            this.idempotencyKey = idempotencyKey;
            this.receivedAtMillis = receivedAtMillis;
        }

        boolean answeredBy(String replica) {
            for (Outcome o : outcomes) {
                if (o.answered() && o.replica().equals(replica)) {
                    return true;
                }
            }
            return false;
        }
    }

    private final Set<String> replicas;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private final TreeMap<Long, Meta> entries = new TreeMap<>();
    private final Map<String, Long> byKey = new HashMap<>();
    private final Map<String, TreeSet<Long>> undecidedBySession = new HashMap<>();
    /** replica -> session -> committed entries the replica has not answered. */
    private final Map<String, Map<String, TreeSet<Long>>> backlogBySession = new HashMap<>();
    /** replica -> all committed entries the replica has not answered. */
    private final Map<String, TreeSet<Long>> backlog = new HashMap<>();
    private final long cacheLimit;
    private long cachedBytes;

    JournalIndex(Set<String> replicas, long cacheBytes) {
        this.replicas = Set.copyOf(replicas);
        this.cacheLimit = cacheBytes;
        for (String r : replicas) {
            backlogBySession.put(r, new HashMap<>());
            backlog.put(r, new TreeSet<>());
        }
    }

    <T> T read(Supplier<T> body) {
        lock.readLock().lock();
        try {
            return body.get();
        } finally {
            lock.readLock().unlock();
        }
    }

    void write(Runnable body) {
        lock.writeLock().lock();
        try {
            body.run();
        } finally {
            lock.writeLock().unlock();
        }
    }

    // ---- mutators (writer thread, inside write) ----

    /** Applies one durable record found at {@code location}. */
    void apply(RecordCodec.Rec rec, Location location) {
        if (rec instanceof RecordCodec.EntryRec r) {
            Entry e = r.entry();
            Meta meta = new Meta(e.sequence(), location, e.sessionKey(), e.idempotencyKey(), e.receivedAtMillis());
            if (onEntry(meta) && cachedBytes + location.length() <= cacheLimit) {
                meta.cached = e;
                cachedBytes += location.length();
            }
        } else if (rec instanceof RecordCodec.OutcomeRec r) {
            onOutcome(r.sequence(), r.outcome());
        } else if (rec instanceof RecordCodec.CommitRec r) {
            onCommit(r.sequence(), r.atMillis());
        } else if (rec instanceof RecordCodec.AbortRec r) {
            onAbort(r.sequence(), r.atMillis());
        } else if (rec instanceof RecordCodec.ResponseRec r) {
            onResponse(r.sequence(), location);
        } else if (rec instanceof RecordCodec.SettleRec r) {
            onOutcome(r.sequence(), r.outcome());
            onCommit(r.sequence(), r.outcome().atMillis());
            onResponse(r.sequence(), location);
        }
    }

    private boolean onEntry(Meta meta) {
        if (entries.putIfAbsent(meta.sequence, meta) != null) {
            return false;
        }
        undecidedBySession.computeIfAbsent(meta.sessionKey, s -> new TreeSet<>()).add(meta.sequence);
        byKey.put(meta.idempotencyKey, meta.sequence);
        return true;
    }

    private void onOutcome(long sequence, Outcome outcome) {
        Meta meta = entries.get(sequence);
        if (meta == null) {
            return; // compacted
        }
        if (!outcome.answered() && replaceNotReached(meta, outcome)) {
            return;
        }
        meta.outcomes.add(outcome);
        if (outcome.answered() && meta.state == State.COMMITTED && replicas.contains(outcome.replica())) {
            removeBacklog(outcome.replica(), meta);
            uncacheIfOwedToNone(meta);
        }
    }

    /**
     * Keeps one not-reached outcome per replica and entry, the latest: a journal written while a replica
     * was unreachable for long may hold many, and only answers count (backlog, compaction, divergence).
     */
    private static boolean replaceNotReached(Meta meta, Outcome outcome) {
        for (int i = 0; i < meta.outcomes.size(); i++) {
            Outcome o = meta.outcomes.get(i);
            if (!o.answered() && o.replica().equals(outcome.replica())) {
                meta.outcomes.set(i, outcome);
                return true;
            }
        }
        return false;
    }

    private void onCommit(long sequence, long atMillis) {
        Meta meta = decide(sequence, State.COMMITTED, atMillis);
        if (meta != null) {
            for (String r : replicas) {
                if (!meta.answeredBy(r)) {
                    backlogBySession.get(r).computeIfAbsent(meta.sessionKey, s -> new TreeSet<>()).add(sequence);
                    backlog.get(r).add(sequence);
                }
            }
            uncacheIfOwedToNone(meta);
        }
    }

    private void onAbort(long sequence, long atMillis) {
        Meta meta = decide(sequence, State.ABORTED, atMillis);
        if (meta != null) {
            uncache(meta);
        }
    }

    /** A committed entry every replica has answered is never delivered again: its bytes leave memory. */
    private void uncacheIfOwedToNone(Meta meta) {
        if (meta.cached == null) {
            return;
        }
        for (String r : replicas) {
            if (!meta.answeredBy(r)) {
                return;
            }
        }
        uncache(meta);
    }

    private void uncache(Meta meta) {
        if (meta.cached != null) {
            meta.cached = null;
            cachedBytes -= meta.location.length();
        }
    }

    private void onResponse(long sequence, Location location) {
        Meta meta = entries.get(sequence);
        if (meta != null) {
            meta.response = location;
        }
    }

    /** After recovery: whatever is still undecided is in doubt. Returns how many. */
    int markInDoubt() {
        int n = 0;
        for (Set<Long> seqs : undecidedBySession.values()) {
            for (long seq : seqs) {
                entries.get(seq).inDoubt = true;
                n++;
            }
        }
        return n;
    }

    /** Forgets the entries below {@code endSequence} (their segment is being deleted); returns how many. */
    long removeBelow(long endSequence) {
        Map<Long, Meta> head = entries.headMap(endSequence);
        long n = head.size();
        for (Meta meta : head.values()) {
            byKey.remove(meta.idempotencyKey, meta.sequence);
            uncache(meta);
        }
        head.clear();
        return n;
    }

    private Meta decide(long sequence, State state, long atMillis) {
        Meta meta = entries.get(sequence);
        if (meta == null || meta.state != State.UNDECIDED) {
            return null;
        }
        meta.state = state;
        meta.decidedAtMillis = atMillis;
        meta.inDoubt = false;
        TreeSet<Long> undecided = undecidedBySession.get(meta.sessionKey);
        undecided.remove(sequence);
        if (undecided.isEmpty()) {
            undecidedBySession.remove(meta.sessionKey);
        }
        return meta;
    }

    private void removeBacklog(String replica, Meta meta) {
        Map<String, TreeSet<Long>> sessions = backlogBySession.get(replica);
        TreeSet<Long> seqs = sessions.get(meta.sessionKey);
        if (seqs != null && seqs.remove(meta.sequence) && seqs.isEmpty()) {
            sessions.remove(meta.sessionKey);
        }
        backlog.get(replica).remove(meta.sequence);
    }

    // ---- queries (writer thread, or any thread inside read) ----

    Meta meta(long sequence) {
        return entries.get(sequence);
    }

    Meta byIdempotencyKey(String key) {
        Long seq = byKey.get(key);
        return seq == null ? null : entries.get(seq);
    }

    boolean knowsReplica(String replica) {
        return replicas.contains(replica);
    }

    Set<String> replicas() {
        return replicas;
    }

    List<Meta> pending(String replica, String sessionKey, int max) {
        TreeSet<Long> seqs = backlogBySession.get(replica).get(sessionKey);
        if (seqs == null) {
            return List.of();
        }
        TreeSet<Long> undecided = undecidedBySession.get(sessionKey);
        long barrier = undecided == null ? Long.MAX_VALUE : undecided.first();
        List<Meta> out = new ArrayList<>(Math.min(max, seqs.size()));
        for (long seq : seqs) {
            if (seq > barrier || out.size() == max) {
                break;
            }
            out.add(entries.get(seq));
        }
        return out;
    }

    /** {@link #pending}, or null when one of the entries is not in memory. */
    List<Meta> pendingInMemory(String replica, String sessionKey, int max) {
        List<Meta> metas = pending(replica, sessionKey, max);
        for (Meta m : metas) {
            if (m.cached == null) {
                return null;
            }
        }
        return metas;
    }

    long cachedBytes() {
        return cachedBytes;
    }

    boolean hasBacklog(String replica, String sessionKey) {
        return backlogBySession.get(replica).containsKey(sessionKey);
    }

    Set<String> sessionsWithBacklog(String replica) {
        return new LinkedHashSet<>(backlogBySession.get(replica).keySet());
    }

    long backlog(String replica) {
        return backlog.get(replica).size();
    }

    OptionalLong oldestPendingReceivedAt(String replica) {
        TreeSet<Long> seqs = backlog.get(replica);
        return seqs.isEmpty() ? OptionalLong.empty() : OptionalLong.of(entries.get(seqs.first()).receivedAtMillis);
    }

    List<Meta> inDoubt() {
        List<Meta> out = new ArrayList<>();
        for (Set<Long> seqs : undecidedBySession.values()) {
            for (long seq : seqs) {
                Meta meta = entries.get(seq);
                if (meta.inDoubt) {
                    out.add(meta);
                }
            }
        }
        out.sort((a, b) -> Long.compare(a.sequence, b.sequence));
        return out;
    }

    /**
     * True when every entry in {@code [from, to)} is settled (aborted, or committed and answered by
     * every replica) and has been for {@code retentionMillis} at {@code nowMillis}.
     */
    boolean allSettled(long from, long to, long nowMillis, long retentionMillis) {
        for (Meta meta : entries.subMap(from, to).values()) {
            long settledAt = settledAt(meta);
            if (settledAt < 0 || settledAt + retentionMillis > nowMillis) {
                return false;
            }
        }
        return true;
    }

    private long settledAt(Meta meta) {
        if (meta.state == State.ABORTED) {
            return meta.decidedAtMillis;
        }
        if (meta.state == State.UNDECIDED) {
            return -1;
        }
        long at = meta.decidedAtMillis;
        for (String r : replicas) {
            long answeredAt = -1;
            for (Outcome o : meta.outcomes) {
                if (o.answered() && o.replica().equals(r)) {
                    answeredAt = o.atMillis();
                    break;
                }
            }
            if (answeredAt < 0) {
                return -1;
            }
            at = Math.max(at, answeredAt);
        }
        return at;
    }

    List<Outcome> outcomes(long sequence) {
        Meta meta = entries.get(sequence);
        return meta == null ? List.of() : List.copyOf(meta.outcomes);
    }
}
