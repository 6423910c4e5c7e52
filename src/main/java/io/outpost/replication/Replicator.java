package io.outpost.replication;

import io.netty.channel.EventLoop;
import io.outpost.journal.Entry;
import io.outpost.journal.Journal;
import io.outpost.journal.JournalException;
import io.outpost.journal.Outcome;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers every committed write to every replica (G2), each session in journal order (G3), and
 * records each answer so that nothing answered is sent again (G4). Delivery state is kept per
 * (replica, session): a lane per pair, so one slow session never blocks another, with at most
 * {@code lanesPerReplica} sessions in flight per replica. It is woken on commit and by a timer; after
 * a failed delivery the replica backs off ({@link DeliveryHealth}) and its backlog is replayed later.
 *
 * <p>The live write path uses the same lanes ({@link #deliverLive}), so a write sent live to a replica
 * never overtakes an older write of its session still on its way to that replica.
 */
final class Replicator {

    private static final Logger log = LoggerFactory.getLogger(Replicator.class);

    /** A delivery lane: one replica, one session. */
    record LaneKey(String replica, String session) {
    }

    private final Journal journal;
    private final List<Replica> replicas;
    private final DeliveryClient client;
    private final Lanes<LaneKey> lanes;
    /** The client's loops, where live deliveries run; and this service's own, for shadow and replay. */
    private final SessionLoops live;
    private final SessionLoops loops;
    private final Executor io;
    private final ReplicationMetrics metrics;
    private final Divergences divergences;
    private final RecordBackoff records;
    private volatile Set<Integer> notReachedStatuses;
    private final Clock clock;
    private final int lanesPerReplica;
    private final int batch;
    private final Map<String, Set<String>> draining = new ConcurrentHashMap<>();
    private final Map<String, Boolean> waiting = new ConcurrentHashMap<>();
    private volatile boolean stopped;

    Replicator(Journal journal, List<Replica> replicas, DeliveryClient client, SessionLoops live, SessionLoops loops,
               Executor io,
               ReplicationMetrics metrics, Divergences divergences, RecordBackoff records,
               Set<Integer> notReachedStatuses, Clock clock, int lanesPerReplica, int batch) {
        this.journal = journal;
        this.replicas = replicas;
        this.client = client;
        this.live = live;
        this.loops = loops;
        this.io = io;
        this.lanes = new Lanes<>();
        this.metrics = metrics;
        this.divergences = divergences;
        this.records = records;
        this.notReachedStatuses = Set.copyOf(notReachedStatuses);
        this.clock = clock;
        this.lanesPerReplica = lanesPerReplica;
        this.batch = batch;
        for (Replica r : replicas) {
            draining.put(r.name(), ConcurrentHashMap.newKeySet());
        }
    }

    /** A write of {@code session} was committed: the replicas that have not answered it are owed it. */
    void committed(String session, String answeredBy) {
        for (Replica r : replicas) {
            if (!r.name().equals(answeredBy)) {
                drain(r, session);
            }
        }
    }

    /** The timer: start lanes for sessions with a backlog, on replicas whose backoff has passed. */
    void tick() {
        records.poll();
        for (Replica r : replicas) {
            if (!deliverable(r)) {
                continue;
            }
            if (journal.backlog(r.name()) == 0) {
                r.delivery().caughtUp();
            } else {
                fill(r);
            }
        }
    }

    /**
     * Starts no more deliveries, and ends each lane after the delivery it is making. The future completes
     * once the deliveries under way have ended and their outcomes are durable, so that the journal may
     * close without losing an answer (which would send the entry to that replica again: G4).
     */
    CompletableFuture<Void> stop() {
        stopped = true;
        records.release();
        return lanes.drained();
    }

    /** A reload's {@code notReachedStatuses}: deliveries answered from now on are judged by them. */
    void notReachedStatuses(Set<Integer> statuses) {
        this.notReachedStatuses = Set.copyOf(statuses);
    }

    /**
     * Not to a paused or backed-off replica, and nothing once stopped, while the journal takes no more writes, or
     * while it refuses answers (until the ones kept are written): an answer that cannot be recorded would have its
     * entry sent again at once, and again.
     */
    private boolean deliverable(Replica r) {
        return !stopped && !r.paused() && r.delivery().mayDeliver() && journal.failure().isEmpty()
                && !records.refusing();
    }

    private void fill(Replica r) {
        waiting.remove(r.name());
        Set<String> active = draining.get(r.name());
        for (String session : journal.sessionsWithBacklog(r.name())) {
            if (active.size() >= lanesPerReplica) {
                waiting.put(r.name(), Boolean.TRUE);
                return;
            }
            drain(r, session);
        }
    }

    /** Starts a lane that delivers the session's backlog to {@code r}, unless one runs or the replica waits. */
    private void drain(Replica r, String session) {
        if (!deliverable(r)) {
            return;
        }
        Set<String> active = draining.get(r.name());
        if (active.size() >= lanesPerReplica) {
            waiting.put(r.name(), Boolean.TRUE);
            return;
        }
        if (!active.add(session)) {
            return;
        }
        lanes.submit(new LaneKey(r.name(), session), loops.of(session), () -> deliverBacklog(r, session))
                .whenCompleteAsync((caughtUp, error) -> {
                    active.remove(session);
                    if (error != null) {
                        log.error("replication to {}: session {} failed", r.name(), session, error);
                    } else if (journal.hasBacklog(r.name(), session)) {
                        drain(r, session); // a commit arrived while the lane was finishing
                    }
                    if (waiting.containsKey(r.name()) && deliverable(r)) {
                        fill(r);
                    }
                }, loops.of(session));
    }

    /**
     * Delivers the session's pending entries to {@code r} in order, until none is left or one is not
     * reached. Runs inside the (replica, session) lane. Completes with true when the session is caught up.
     */
    CompletableFuture<Boolean> deliverBacklog(Replica r, String session) {
        if (!deliverable(r)) {
            return CompletableFuture.completedFuture(false);
        }
        Optional<List<Entry>> inMemory = journal.pendingInMemory(r.name(), session, batch);
        if (inMemory.isPresent()) {
            return deliverPending(r, session, inMemory.get());
        }
        // Entries the journal no longer holds in memory are read from disk off the event loop.
        return CompletableFuture.supplyAsync(() -> journal.pending(r.name(), session, batch), io)
                .thenComposeAsync(entries -> deliverPending(r, session, entries), loops.of(session));
    }

    private CompletableFuture<Boolean> deliverPending(Replica r, String session, List<Entry> entries) {
        if (entries.isEmpty()) {
            return CompletableFuture.completedFuture(true);
        }
        String kind = r.delivery().catchingUp() ? DeliveryHeaders.REPLAY : DeliveryHeaders.SHADOW;
        return deliverInOrder(r, entries, 0, kind, CompletableFuture.completedFuture(null))
                .thenComposeAsync(ok -> ok ? deliverBacklog(r, session) : CompletableFuture.completedFuture(false),
                        loops.of(session));
    }

    /**
     * Entries one by one; before the lane ends (the next batch, a retry after a not-reached entry, or a
     * live write's catch-up may follow at once), every answer must be durable: pending reads them. An answer
     * the journal refused is written again ({@link #recorded}); meanwhile the batch stops, since the next
     * answers would be refused too.
     */
    private CompletableFuture<Boolean> deliverInOrder(Replica r, List<Entry> entries, int i, String kind,
                                                      CompletableFuture<Void> lastOutcome) {
        if (i == entries.size()) {
            return lastOutcome.handle((v, e) -> e == null);
        }
        if (stopped || r.paused() || records.refusing()) {
            // Paused while the batch ran: the replica receives nothing more; the rest is replayed on resume.
            // Stopped: the rest waits for the next start. Answers refused: the rest waits until they are durable.
            return lastOutcome.handle((v, e) -> false);
        }
        Entry entry = entries.get(i);
        return deliver(r, entry, kind).thenComposeAsync(d -> d.answered()
                ? deliverInOrder(r, entries, i + 1, kind, CompletableFuture.allOf(lastOutcome, d.record()))
                : CompletableFuture.allOf(lastOutcome, d.record()).handle((v, e) -> false), loops.of(entry.sessionKey()));
    }

    /** A delivery's outcome record (durable when the future completes), and whether the replica answered. */
    private record Delivered(CompletableFuture<Void> record, boolean answered) {
    }

    /**
     * One delivery and its outcome record. A replica that stays unreachable is not recorded as not reached
     * again for the same entry: a retry round every few seconds for as long as it is down would otherwise
     * add a record per entry tried, on disk and in memory, that nothing reads (divergence and compaction
     * look at answers only).
     */
    private CompletableFuture<Delivered> deliver(Replica r, Entry entry, String kind) {
        return client.send(r.endpoint(), entry, kind, loops.of(entry.sessionKey())).thenApply(result -> {
            int status = statusOf(result);
            metrics.delivery(r.name(), kind, status);
            if (status == Outcome.NOT_REACHED) {
                r.delivery().failed();
                log.debug("replication to {}: entry {} not reached: {}", r.name(), entry.sequence(), result.cause());
                boolean known = journal.outcomes(entry.sequence()).stream()
                        .anyMatch(o -> !o.answered() && o.replica().equals(r.name()));
                return new Delivered(known ? CompletableFuture.completedFuture(null)
                        : journal.recordOutcome(entry.sequence(), r.name(), Outcome.NOT_REACHED), false);
            }
            r.delivery().answered();
            if (kind.equals(DeliveryHeaders.REPLAY)) {
                r.replays().record();
            }
            divergences.check(entry.sequence(), entry.sessionKey(), r.name(), status,
                    journal.outcomes(entry.sequence()), clock.millis());
            return new Delivered(recorded(() -> journal.recordOutcome(entry.sequence(), r.name(), status)), true);
        });
    }

    /**
     * Writes an answer's record until it is durable: the lane keeps the answer and waits out the backoff instead
     * of ending, which would send the entry to the replica again (G4). Gives up once stopped, or when the journal
     * takes no more writes until it is reopened (the replication lets it go; the entry is sent again after that,
     * with its Idempotency-Key).
     */
    private CompletableFuture<Void> recorded(Supplier<CompletableFuture<Void>> record) {
        return record.get().handle((v, error) -> error).thenCompose(error -> {
            if (error == null) {
                records.written();
                return CompletableFuture.completedFuture(null);
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null
                    ? error.getCause() : error;
            if (stopped || journal.failure().isPresent() || !(cause instanceof JournalException)) {
                return CompletableFuture.failedFuture(cause);
            }
            return records.failed(String.valueOf(cause.getMessage()))
                    .thenCompose(v -> stopped ? CompletableFuture.failedFuture(cause) : recorded(record));
        });
    }

    /**
     * The live delivery of a new (undecided) entry to {@code r}, inside its (replica, session) lane:
     * first whatever of the session {@code r} still owes (so the new write cannot overtake it), then the
     * entry itself. Completes with the replica's result (not reached when the catch-up failed).
     */
    CompletableFuture<DeliveryClient.Result> deliverLive(Replica r, Entry entry) {
        EventLoop loop = live.of(entry.sessionKey());
        return lanes.submit(new LaneKey(r.name(), entry.sessionKey()), loop, () -> {
            CompletableFuture<Boolean> caughtUp = journal.hasBacklog(r.name(), entry.sessionKey())
                    ? deliverBacklog(r, entry.sessionKey()) : CompletableFuture.completedFuture(true);
            return caughtUp.thenComposeAsync(ok -> {
                if (r.paused()) {
                    // Paused after the write chose it: not sent, and not a failure of the replica either.
                    return CompletableFuture.completedFuture(DeliveryClient.Result.notReached(
                            new IllegalStateException("replica " + r.name() + " is paused")));
                }
                if (!ok) {
                    return CompletableFuture.completedFuture(DeliveryClient.Result.notReached(
                            new IllegalStateException("replica " + r.name() + " could not catch up on the session")));
                }
                return client.send(r.endpoint(), entry, DeliveryHeaders.LIVE, loop)
                        .thenApply(result -> liveResult(r, result));
            }, loop);
        });
    }

    private DeliveryClient.Result liveResult(Replica r, DeliveryClient.Result result) {
        int status = statusOf(result);
        metrics.delivery(r.name(), DeliveryHeaders.LIVE, status);
        if (status == Outcome.NOT_REACHED) {
            r.delivery().failed();
            return result.reached() ? DeliveryClient.Result.notReached(
                    new IllegalStateException("status " + result.status())) : result;
        }
        r.delivery().answered();
        return result;
    }

    /** The outcome to record: the status, or not reached for a failure or a status in notReachedStatuses. */
    int statusOf(DeliveryClient.Result result) {
        return !result.reached() || notReachedStatuses.contains(result.status()) ? Outcome.NOT_REACHED : result.status();
    }
}
