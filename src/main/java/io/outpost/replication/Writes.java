package io.outpost.replication;

import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.outpost.journal.DuplicateIdempotencyKeyException;
import io.outpost.journal.Entry;
import io.outpost.journal.EntryDraft;
import io.outpost.journal.Header;
import io.outpost.journal.Journal;
import io.outpost.journal.JournalException;
import io.outpost.journal.JournalInDoubtException;
import io.outpost.journal.Outcome;
import io.outpost.journal.StoredResponse;
import io.outpost.upstream.Ticker;
import io.outpost.upstream.XxHash64;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write path of a replicated service. Writes of one session run one after another, end to end,
 * on the session's delivery event loop; sessions run in parallel. A write is appended to the
 * journal (durable before anything is delivered: G1), sent live to the session's serving replica
 * and, if that one is not reached, to the next (G5); the first answer commits it, is stored for
 * retries (G4) and goes to the client. If no replica is reached the entry is aborted (durably, before
 * the client hears 503) and never replayed; an abort that cannot be made durable leaves the entry to be
 * delivered after the journal opens again, and the client hears 202 (pending), not 503. So does the client of
 * a write the journal cannot tell whether it stored, or stored but failed to apply ({@link JournalInDoubtException});
 * an abort stored but not applied is an abort, and its client hears 503.
 * What a retry is answered with may have to be read from the journal's files: that read runs on {@code io}, off
 * the event loops.
 */
final class Writes {

    private static final Logger log = LoggerFactory.getLogger(Writes.class);

    /** What the client gets: a replica's answer, a stored one, or the gateway's own error. */
    record Answer(int status, List<Header> headers, byte[] body, boolean truncated) {
        static Answer error(HttpResponseStatus status, String reason) {
            String json = "{\"status\":" + status.code() + ",\"error\":\"" + status.reasonPhrase()
                    + "\",\"reason\":" + quoted(reason) + "}\n";
            return new Answer(status.code(), List.of(new Header("Content-Type", "application/json")),
                    json.getBytes(java.nio.charset.StandardCharsets.UTF_8), false);
        }

        /**
         * 202: the write is journaled, or may be, and then will reach every replica, but no replica has processed
         * it yet; its {@code Idempotency-Key} (the gateway's, when the client sent none) lets a retry ask about it.
         */
        static Answer pending(String key, String reason) {
            String json = "{\"status\":202,\"outcome\":\"pending\",\"reason\":" + quoted(reason) + "}\n";
            return new Answer(202, List.of(new Header("Content-Type", "application/json"),
                    new Header(DeliveryHeaders.IDEMPOTENCY_KEY, key)),
                    json.getBytes(java.nio.charset.StandardCharsets.UTF_8), false);
        }

        private static String quoted(String text) {
            return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        }

        static Answer of(StoredResponse r) {
            return new Answer(r.status(), r.headers(), r.body(), r.truncated());
        }
    }

    /** A write as the service hands it over: the client's request, with its body read in full. */
    record Request(String session, String clientKey, String method, String pathAndQuery, List<Header> headers,
                   byte[] body) {
    }

    private final String service;
    private final Journal journal;
    private final Replicator replicator;
    private final Supplier<List<Replica>> replicas;
    private volatile double factor;
    private final Lanes<String> sessions;
    private final SessionLoops loops;
    /** Where reads of the journal that may touch its files run: never on an event loop. */
    private final Executor io;
    private final FailureLog failureLog;
    private volatile boolean stopped;
    private static final long RETRY_FIRST_MILLIS = 100;
    private static final long RETRY_MAX_MILLIS = 5_000;
    /** How often the same failure to journal a record is logged again while it lasts. */
    private static final Duration FAILURE_LOG_INTERVAL = Duration.ofMinutes(1);

    private final Map<String, CompletableFuture<Answer>> inFlight = new ConcurrentHashMap<>();
    /**
     * Session -> the replica whose answer went to the client while the settle record (which puts the
     * write in the other replicas' backlog) is not durable yet: until it is, only that replica has
     * every acknowledged write of the session.
     */
    private final Map<String, String> settling = new ConcurrentHashMap<>();

    Writes(String service, Journal journal, Replicator replicator, Supplier<List<Replica>> replicas, double factor,
           SessionLoops loops, Executor io, Ticker ticker) {
        this.service = service;
        this.failureLog = new FailureLog(log, ticker, FAILURE_LOG_INTERVAL);
        this.journal = journal;
        this.replicator = replicator;
        this.replicas = replicas;
        this.factor = factor;
        this.loops = loops;
        this.io = io;
        this.sessions = new Lanes<>();
    }

    /** Runs a write; the future never fails, errors become answers. */
    CompletableFuture<Answer> write(Request request) {
        String key = request.clientKey();
        if (key == null) {
            CompletableFuture<Answer> reply = new CompletableFuture<>();
            inLane(request, UUID.randomUUID().toString(), reply);
            return reply;
        }
        CompletableFuture<Answer> mine = new CompletableFuture<>();
        CompletableFuture<Answer> original = inFlight.putIfAbsent(key, mine);
        if (original != null) {
            return original; // G4: a retry while the original runs gets the original's answer
        }
        if (!journal.mayKnowIdempotencyKey(key)) {
            run(request, key, mine); // a new key, known to be new from memory: nothing to read
            return mine;
        }
        // A retry: its answer is read off the loop, and the write goes on from the loop it came in on.
        // Until then the key stays in flight, so a retry meanwhile waits for this one's answer (G4).
        EventLoop loop = loops.of(request.session());
        offLoop(() -> earlierAnswer(key)).whenCompleteAsync((earlier, error) -> {
            if (error != null) {
                answered(key, mine, Answer.error(HttpResponseStatus.SERVICE_UNAVAILABLE, "the answer to the write with "
                        + "Idempotency-Key " + key + " cannot be read from the journal (" + causeOf(error).getMessage()
                        + ")"));
            } else if (earlier.isPresent()) {
                answered(key, mine, earlier.get());
            } else {
                run(request, key, mine);
            }
        }, loop);
        return mine;
    }

    private void run(Request request, String key, CompletableFuture<Answer> mine) {
        // Retries keep getting the original's answer until its stored response is durable.
        inLane(request, key, mine).whenComplete((answer, error) -> inFlight.remove(key, mine));
    }

    private void answered(String key, CompletableFuture<Answer> mine, Answer answer) {
        mine.complete(answer);
        inFlight.remove(key, mine);
    }

    /**
     * What a write with this key was answered before: its stored response, or 409 when it has none (the
     * gateway restarted while it ran); empty when no live entry has the key. Reads the journal's files.
     */
    private Optional<Answer> earlierAnswer(String key) {
        Optional<StoredResponse> stored = journal.response(key);
        if (stored.isPresent()) {
            return Optional.of(Answer.of(stored.get()));
        }
        return journal.findByIdempotencyKey(key).isEmpty() ? Optional.empty()
                : Optional.of(Answer.error(HttpResponseStatus.CONFLICT, "a write with Idempotency-Key " + key
                + " was accepted before, but its response is not known (the gateway restarted while it ran); it "
                + "is delivered to every replica and will not run again"));
    }

    /** Runs a read of the journal that may touch its files on {@link #io}: event loops never block. */
    private <T> CompletableFuture<T> offLoop(Supplier<T> read) {
        try {
            return CompletableFuture.supplyAsync(read, io);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(e); // the gateway is stopping
        }
    }

    /**
     * Runs the write in its session's lane. {@code reply} may complete before the lane moves on:
     * the client is answered once the entry is durable and a replica answered (G1), while the lane
     * (the returned future) waits until the outcome and the stored response are durable too, so
     * that the next write of the session sees them.
     */
    private CompletableFuture<Answer> inLane(Request request, String key, CompletableFuture<Answer> reply) {
        CompletableFuture<Answer> lane = sessions.submit(request.session(), loops.of(request.session()),
                () -> append(request, key, reply));
        return lane.whenComplete((answer, error) -> reply.complete(answer != null ? answer
                : Answer.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, String.valueOf(error))));
    }

    private CompletableFuture<Answer> append(Request request, String key, CompletableFuture<Answer> reply) {
        EntryDraft draft = new EntryDraft(request.session(), key, request.method(), request.pathAndQuery(),
                request.headers(), request.body());
        EventLoop loop = loops.of(request.session());
        return journal.append(draft)
                .thenComposeAsync(entry -> deliver(entry, reply), loop)
                .exceptionallyCompose(error -> failed(key, error, loop));
    }

    private CompletableFuture<Answer> failed(String key, Throwable error, EventLoop loop) {
        Throwable cause = causeOf(error);
        if (cause instanceof DuplicateIdempotencyKeyException) {
            // Another write with the key was journaled first: its stored answer, read off the loop.
            return offLoop(() -> journal.response(key)).handleAsync((stored, e) -> e == null && stored.isPresent()
                    ? Answer.of(stored.get())
                    : Answer.error(HttpResponseStatus.CONFLICT, "a write with Idempotency-Key " + key
                            + " is already journaled"), loop);
        }
        if (cause instanceof JournalInDoubtException inDoubt) {
            // Its records are on disk, or may be: then the journal's next open finds it in doubt, commits it and
            // delivers it to every replica. 503 ("not accepted") could be false, and a client without a key would
            // send it again.
            report("write may be journaled, answering 202 (pending)", cause);
            String fate = inDoubt.stored()
                    ? "the journal stored the write but failed before it could confirm it (" + cause.getMessage()
                            + "); the write is delivered to every replica once the journal is open again"
                    : "the journal could not confirm whether it stored the write (" + cause.getMessage() + "); if it "
                            + "did, the write is delivered to every replica once the journal is open again";
            return CompletableFuture.completedFuture(Answer.pending(key, fate + "; a retry with its Idempotency-Key "
                    + "is not applied twice"));
        }
        report("write not journaled, answering 503", cause);
        return CompletableFuture.completedFuture(Answer.error(HttpResponseStatus.SERVICE_UNAVAILABLE,
                "the write was not accepted: the journal cannot store it (" + cause.getMessage() + ")"));
    }

    private static Throwable causeOf(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    /** True when {@code r} has every write of the session the gateway acknowledged, so it may serve reads of it (G5). */
    boolean mayServe(Replica r, String session) {
        String answeredBy = settling.get(session);
        return (answeredBy == null || answeredBy.equals(r.name())) && !journal.hasBacklog(r.name(), session);
    }

    private CompletableFuture<Answer> deliver(Entry entry, CompletableFuture<Answer> reply) {
        List<Replica> order = ReplicaChooser.plan(replicas.get(),
                r -> !journal.hasBacklog(r.name(), entry.sessionKey()),
                XxHash64.hash(entry.sessionKey()), factor).forWrite();
        return tryReplica(entry, order, 0, new ArrayList<>(), reply);
    }

    private CompletableFuture<Answer> tryReplica(Entry entry, List<Replica> order, int i, List<String> failures,
                                                 CompletableFuture<Answer> reply) {
        if (i == order.size()) {
            return durably(() -> journal.abort(entry.sequence()), "abort", entry, RETRY_FIRST_MILLIS).handle((v, e) -> {
                String why = failures.isEmpty() ? "no replica is available (all paused)" : String.join("; ", failures);
                if (e != null && !storedAnyway(causeOf(e))) {
                    // Not durable (the journal takes no more writes until it is reopened, or the service stopped):
                    // the entry stays undecided, so the journal's next open finds it in doubt, commits it and
                    // delivers it to every replica, as it must for a write a crash left undecided. Telling the
                    // client it failed would then be false (and one without an Idempotency-Key would send it
                    // again: a duplicate). Keeping the abort in memory to write it after the reopen would not do:
                    // a restart or a crash before then loses it, and nothing durable can hold it while the journal
                    // refuses writes. So the client learns the truth: journaled, to be delivered, not yet processed.
                    // An abort record the journal cannot tell whether it stored may be on disk all the same: then
                    // the entry is aborted at the next open and never delivered, and the answer must not promise it.
                    report("abort of entry " + entry.sequence() + " not durable, answering 202 (pending)", e);
                    Throwable cause = causeOf(e);
                    String fate = abortFate(cause);
                    return Answer.pending(entry.idempotencyKey(), "no replica of " + service + " could take the "
                            + "write now (" + why + ") and " + fate + "; a retry with its Idempotency-Key is not "
                            + "applied twice");
                }
                if (e != null) {
                    // The abort record is durable; only applying it failed. The next open reads it from the log, so
                    // the write is not applied, as after any abort, and the answer says so.
                    report("abort of entry " + entry.sequence() + " stored but not applied, answering 503", e);
                }
                return Answer.error(HttpResponseStatus.SERVICE_UNAVAILABLE,
                        "no replica of " + service + " could take the write, it was not applied: " + why);
            });
        }
        Replica r = order.get(i);
        return replicator.deliverLive(r, entry).thenComposeAsync(result -> {
            if (replicator.statusOf(result) == Outcome.NOT_REACHED) {
                journal.recordOutcome(entry.sequence(), r.name(), Outcome.NOT_REACHED);
                failures.add(r.name() + ": " + describe(result));
                return tryReplica(entry, order, i + 1, failures, reply);
            }
            return settle(entry, r, result, reply);
        }, loops.of(entry.sessionKey()));
    }

    /** Whether the journal failed a record ({@code cause}) that it nevertheless made durable. */
    private static boolean storedAnyway(Throwable cause) {
        return cause instanceof JournalInDoubtException inDoubt && inDoubt.stored();
    }

    /** What becomes of a write whose abort the journal failed with {@code cause} without storing it, for its 202. */
    private static String abortFate(Throwable cause) {
        if (cause instanceof JournalInDoubtException) {
            return "the journal could not confirm whether it recorded that the write was not applied ("
                    + cause.getMessage() + "); if it did not, the write is delivered to every replica once the "
                    + "journal is open again";
        }
        return "the journal cannot record that it was not applied (" + cause.getMessage() + "); the write is "
                + "journaled and will be delivered to every replica once the journal is open again";
    }

    private CompletableFuture<Answer> settle(Entry entry, Replica r, DeliveryClient.Result result,
                                             CompletableFuture<Answer> reply) {
        List<Header> headers = new ArrayList<>(result.headers().size());
        for (Header h : result.headers()) {
            if (DeliveryHeaders.storedInResponse(h.name())) {
                headers.add(h);
            }
        }
        // One record: the answer, the commit and the response for retries become durable together. An answer
        // that is not all there is stored without its body, marked so, as one over StoredResponse.MAX_BODY is.
        StoredResponse stored = result.incomplete() == null ? StoredResponse.of(result.status(), headers, result.body())
                : new StoredResponse(result.status(), headers, new byte[0], true);
        CompletableFuture<Void> settled = durably(() -> journal.settle(entry.sequence(), r.name(), result.status(),
                stored), "answer", entry, RETRY_FIRST_MILLIS);
        Answer answer = result.incomplete() == null ? new Answer(result.status(), headers, result.body(), false)
                : incomplete(entry, r, headers, result);
        settling.put(entry.sessionKey(), r.name());
        reply.complete(answer);
        return settled.handle((v, e) -> {
            if (e != null) {
                // The entry stays undecided, so no other replica is owed it yet: reads stay with r. It comes back
                // in doubt when the journal opens next, and is committed and delivered then.
                report("answer of entry " + entry.sequence() + " not journaled", e);
            } else {
                settling.remove(entry.sessionKey(), r.name());
            }
            replicator.committed(entry.sessionKey(), r.name());
            return answer;
        });
    }

    /**
     * The answer when the replica's is not all there (over the limit held in memory, or broken off after its
     * head). Nothing of it has reached the client yet. The replica did process the write, so the client gets
     * its status, which is the truth that matters (a 5xx would send a client without an Idempotency-Key to
     * write it again), with no body and {@code X-Outpost-Response-Truncated: true} rather than a body cut
     * short that would pass for complete: what a retry with the key gets from the stored response too.
     */
    private Answer incomplete(Entry entry, Replica r, List<Header> headers, DeliveryClient.Result result) {
        log.warn("service {}: request {}: the answer of replica {} to the write (status {}) {}; passed on without "
                + "its body", service, requestId(entry), r.name(), result.status(), result.incomplete());
        return new Answer(result.status(), headers, new byte[0], true);
    }

    private static String requestId(Entry entry) {
        for (Header h : entry.headers()) {
            if (h.name().equalsIgnoreCase("X-Request-Id")) {
                return h.value();
            }
        }
        return "-";
    }

    /**
     * Writes a record about {@code entry} until it is durable, the session's lane waiting meanwhile: while
     * the entry is undecided no other replica is owed it, and the session's later writes would reach them
     * ahead of it (G2, G3). A failed batch is cut back off the log, so writing it again is safe. Gives up
     * once the service stops, when the journal refuses the record itself, or when it takes no more writes
     * until it is reopened: then every retry would fail at once, and the replication lets the journal go
     * ({@code Replication.lose}). Each try is logged once per cause ({@link FailureLog}).
     */
    private CompletableFuture<Void> durably(Supplier<CompletableFuture<Void>> record, String what, Entry entry,
                                            long delayMillis) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        record.get().whenComplete((v, error) -> {
            if (error == null) {
                done.complete(null);
                return;
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            if (stopped || !(cause instanceof JournalException) || journal.failure().isPresent()) {
                done.completeExceptionally(cause);
                return;
            }
            report(what + " of entry " + entry.sequence() + " not journaled, trying again (100 ms doubling to 5 s)",
                    cause);
            try {
                loops.of(entry.sessionKey()).schedule(() -> durably(record, what, entry,
                        Math.min(RETRY_MAX_MILLIS, delayMillis * 2)).whenComplete((v2, e2) -> {
                            if (e2 == null) {
                                done.complete(null);
                            } else {
                                done.completeExceptionally(e2);
                            }
                        }), delayMillis, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                done.completeExceptionally(cause);
            }
        });
        return done;
    }

    /**
     * Logs a record the journal did not take, once per cause. Only at debug level once the service stops (what
     * is given up then follows from the stop) or when the journal takes no more writes (the replication logs
     * that once, as it lets the journal go).
     */
    private void report(String what, Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (stopped || journal.failure().isPresent()) {
            log.debug("service {}: {}: {}", service, what, cause.toString());
        } else {
            failureLog.error("service " + service + ": " + what, String.valueOf(cause.getMessage()));
        }
    }

    /** A reload's {@code overprovisioningFactor}, which reads of the reloaded service use as well. */
    void factor(double newFactor) {
        this.factor = newFactor;
    }

    /**
     * The service stops: records that could not be written are not tried again. The future completes
     * once the writes under way have ended, their settle or abort records durable (or given up).
     */
    CompletableFuture<Void> stop() {
        stopped = true;
        return sessions.drained();
    }

    private static String describe(DeliveryClient.Result result) {
        if (result.reached()) {
            return "answered " + result.status();
        }
        Throwable c = result.cause();
        if (c instanceof java.net.ConnectException || c instanceof io.netty.channel.ConnectTimeoutException) {
            return "connect failed (" + c.getMessage() + ")";
        }
        if (c instanceof java.net.UnknownHostException) {
            return "cannot resolve the host (" + c.getMessage() + ")";
        }
        return c == null ? "not reached" : c.getClass().getSimpleName()
                + (c.getMessage() == null ? "" : " (" + c.getMessage() + ")");
    }
}
