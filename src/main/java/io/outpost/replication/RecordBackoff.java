package io.outpost.replication;

import io.outpost.upstream.Ticker;
import io.outpost.upstream.resilience.Backoff;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;

/**
 * Whether the journal takes the replicator's answer records, and when to write a refused one again. While the
 * disk is full (or a write fails otherwise, in a way that may pass), a lane whose answer was refused keeps the
 * answer and waits; without this it would end, find the entry still owed and send it to the replica again at
 * once, and again (burning a core, flooding the log, and delivering an answered entry twice: G4).
 *
 * <p>Exponential backoff with full jitter, shared by every lane of the service (they all write to one journal):
 * a failure while a backoff runs does not lengthen it, so one round of many lanes failing together counts
 * once. Retries are released by {@link #poll}, which the replicator's timer calls, never at once from the
 * failure itself. Logs once when records start to fail and once when they are written again. Pure logic:
 * time from a {@link Ticker}, randomness from the {@link Backoff}.
 */
final class RecordBackoff {

    private final String service;
    private final Logger log;
    private final Ticker ticker;
    private final Backoff backoff;
    /** Guarded by this. */
    private int failures;
    private long retryAt;
    private String cause;
    private final List<CompletableFuture<Void>> waiting = new ArrayList<>();

    RecordBackoff(String service, Logger log, Ticker ticker, Backoff backoff) {
        this.service = service;
        this.log = log;
        this.ticker = ticker;
        this.backoff = backoff;
    }

    /**
     * A record was refused for {@code why}: the future completes when it may be written again (at a
     * {@link #poll} after the backoff, or at {@link #release}).
     */
    CompletableFuture<Void> failed(String why) {
        CompletableFuture<Void> due = new CompletableFuture<>();
        boolean first;
        synchronized (this) {
            long now = ticker.nanos();
            first = cause == null;
            if (first || now - retryAt >= 0) {
                retryAt = now + backoff.delayNanos(Math.min(failures, 30));
                failures++;
            }
            cause = why;
            waiting.add(due);
        }
        if (first) {
            log.error("service {}: answers of deliveries cannot be journaled ({}); the lanes keep them and write them "
                    + "again with backoff, sending nothing more until they are durable", service, why);
        }
        return due;
    }

    /** A record was written: deliveries go on as usual. */
    void written() {
        int failed;
        synchronized (this) {
            if (cause == null) {
                return;
            }
            failed = failures;
            failures = 0;
            retryAt = 0;
            cause = null;
        }
        log.info("service {}: answers of deliveries are journaled again (after {} refused tries)", service, failed);
    }

    /** The timer: lets the waiting records be written again once the backoff has passed. */
    void poll() {
        List<CompletableFuture<Void>> due;
        synchronized (this) {
            if (waiting.isEmpty() || ticker.nanos() - retryAt < 0) {
                return;
            }
            due = List.copyOf(waiting);
            waiting.clear();
        }
        due.forEach(f -> f.complete(null));
    }

    /** Stopping: the waiting lanes go on at once (and give up, seeing the stop). */
    void release() {
        List<CompletableFuture<Void>> due;
        synchronized (this) {
            due = List.copyOf(waiting);
            waiting.clear();
        }
        due.forEach(f -> f.complete(null));
    }

    /**
     * True from a refused record until one is written: a delivery started now would most likely get an answer
     * that cannot be kept either, so none starts; the answers already kept are tried again meanwhile.
     */
    synchronized boolean refusing() {
        return cause != null;
    }

    /** Why answers are not journaled, while they are not. */
    synchronized Optional<String> failure() {
        return Optional.ofNullable(cause);
    }

    /** Answers kept in memory until they can be journaled. */
    synchronized int waiting() {
        return waiting.size();
    }
}
