package io.outpost.replication;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.outpost.journal.Journal;
import io.outpost.journal.JournalMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * The meters of one replicated service: the journal's write path (appends, fsyncs, bytes), deliveries
 * by replica, kind and outcome, the backlog and oldest undelivered age per replica, and divergences.
 * In Prometheus text these are {@code outpost_journal_appends_total}, {@code outpost_replication_deliveries_total},
 * {@code outpost_replication_backlog}, {@code outpost_replication_divergences_total} and so on.
 */
final class ReplicationMetrics implements AutoCloseable {

    private final MeterRegistry registry;
    private final String service;
    private final List<Meter> meters = new ArrayList<>();
    private final Map<String, Counter> deliveries = new ConcurrentHashMap<>();
    private final Map<String, Counter> divergences = new ConcurrentHashMap<>();
    /** Guarded by {@link #meters}. */
    private boolean closed;

    ReplicationMetrics(MeterRegistry registry, String service) {
        this.registry = registry;
        this.service = service;
    }

    void bindJournal(Journal journal) {
        JournalMetrics m = journal.metrics();
        journalCounter("outpost.journal.appends", "entries made durable", m, JournalMetrics::appends);
        journalCounter("outpost.journal.records", "records of every kind made durable", m, JournalMetrics::records);
        journalCounter("outpost.journal.fsyncs", "fsyncs that ended a batch", m, JournalMetrics::fsyncs);
        journalCounter("outpost.journal.bytes", "bytes written", m, JournalMetrics::bytesWritten);
        journalCounter("outpost.journal.failed.writes", "records whose write failed", m, JournalMetrics::failedWrites);
    }

    private void journalCounter(String name, String help, JournalMetrics m, ToDoubleFunction<JournalMetrics> f) {
        meters.add(FunctionCounter.builder(name, m, f).description(help).tag("service", service).register(registry));
    }

    void bindReplica(String replica, Journal journal) {
        meters.add(Gauge.builder("outpost.replication.backlog", journal, j -> j.backlog(replica))
                .description("committed entries not yet delivered to the replica")
                .tags("service", service, "replica", replica).register(registry));
        meters.add(Gauge.builder("outpost.replication.oldest.pending.seconds", journal,
                        j -> j.oldestPendingAge(replica).map(Duration::toMillis).orElse(0L) / 1000.0)
                .description("age of the oldest entry not yet delivered to the replica")
                .tags("service", service, "replica", replica).register(registry));
        divergenceCounter(replica);
    }

    /** Counts a delivery; {@code outcome} is a status class ({@code 2xx}) or {@code not_reached}. */
    void delivery(String replica, String kind, int status) {
        String outcome = status == 0 ? "not_reached" : (status / 100) + "xx";
        Counter c = deliveries.computeIfAbsent(replica + '\0' + kind + '\0' + outcome, k -> register(Counter
                .builder("outpost.replication.deliveries").description("deliveries of journaled writes")
                .tags("service", service, "replica", replica, "kind", kind, "outcome", outcome)));
        if (c != null) {
            c.increment();
        }
    }

    void divergence(String replica) {
        Counter c = divergenceCounter(replica);
        if (c != null) {
            c.increment();
        }
    }

    private Counter divergenceCounter(String replica) {
        return divergences.computeIfAbsent(replica, r -> register(Counter.builder("outpost.replication.divergences")
                .description("answers whose status class differs from another replica's for the same write")
                .tags("service", service, "replica", r)));
    }

    /**
     * Registers a meter of this service, or returns null once it is closed: a delivery that was under way
     * when it closed may still end, and a meter it registered would outlive the service (and be counted on
     * by a service of the same name opened later).
     */
    private Counter register(Counter.Builder builder) {
        synchronized (meters) {
            if (closed) {
                return null;
            }
            Counter c = builder.register(registry);
            meters.add(c);
            return c;
        }
    }

    @Override
    public void close() {
        synchronized (meters) {
            closed = true;
            meters.forEach(registry::remove);
            meters.clear();
        }
    }
}
