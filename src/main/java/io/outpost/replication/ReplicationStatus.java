package io.outpost.replication;

import io.outpost.config.Durations;
import io.outpost.config.ServiceConfig;
import io.outpost.journal.Journal;
import io.outpost.upstream.Endpoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What the admin API shows for a replicated service: each replica's state and the recent divergences. */
final class ReplicationStatus {

    private ReplicationStatus() {
    }

    static Map<String, Object> describe(Replication replication, ServiceConfig.Replicated config) {
        Journal journal = replication.journal();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("type", "replicated");
        out.put("sessionKey", config.sessionKey().map(Object::toString).orElse("none (one session)"));
        out.put("writeMethods", List.copyOf(config.writeMethods()));
        Map<String, Object> j = new LinkedHashMap<>();
        String error = replication.journalError();
        j.put("status", error == null ? "open" : "unavailable");
        j.put("dir", replication.journalDir().toString());
        if (error != null) {
            j.put("error", error);
        } else {
            j.put("retention", Durations.format(journal.retention()));
            // Writes left in doubt by the last run that are not committed yet; writes are refused until they are.
            j.put("inDoubt", replication.inDoubt().pending().isPresent() ? replication.inDoubt().count() : 0);
            // Answers of deliveries the journal refused (a full disk), kept until they can be written again.
            replication.records().failure().ifPresent(why -> {
                j.put("answersError", why);
                j.put("answersWaiting", replication.records().waiting());
            });
        }
        out.put("journal", j);
        List<Object> replicas = new ArrayList<>();
        for (Replica r : replication.replicas()) {
            Map<String, Object> m = new LinkedHashMap<>();
            long backlog = journal == null ? 0 : journal.backlog(r.name());
            m.put("name", r.name());
            m.put("priority", r.priority());
            m.put("state", state(r, backlog));
            m.put("backlog", backlog);
            m.put("oldestPendingSeconds", journal == null ? 0.0
                    : journal.oldestPendingAge(r.name()).map(Duration::toMillis).orElse(0L) / 1000.0);
            m.put("replayRate", r.replays().perSecond());
            m.put("paused", r.paused());
            m.put("consecutiveDeliveryFailures", r.delivery().failures());
            m.put("consecutiveReadFailures", r.reads().failures());
            r.reads().skippedUntilNanos().ifPresent(until -> m.put("readsSkippedUntil", replication.wallTime(until)));
            List<Object> endpoints = new ArrayList<>();
            for (Endpoint e : r.endpoints()) {
                Map<String, Object> endpoint = new LinkedHashMap<>();
                endpoint.put("url", e.id());
                endpoint.put("healthy", e.healthy());
                endpoint.put("activeHealth", replication.activeHealth(e));
                endpoints.add(endpoint);
            }
            m.put("endpoints", endpoints);
            replicas.add(m);
        }
        out.put("replicas", replicas);
        List<Object> divergences = new ArrayList<>();
        for (Divergences.Divergence d : replication.divergences().recent()) {
            divergences.add(Map.of("sequence", d.sequence(), "session", d.session(), "statuses", d.statuses(),
                    "at", DeliveryHeaders.originalTime(d.atMillis())));
        }
        out.put("divergences", divergences);
        return out;
    }

    /** {@code unreachable} while deliveries fail or no endpoint is healthy; {@code catching-up} while it replays. */
    static String state(Replica r, long backlog) {
        boolean anyHealthy = r.endpoints().stream().anyMatch(Endpoint::healthy);
        if (r.delivery().unreachable() || !anyHealthy) {
            return "unreachable";
        }
        if (backlog > 0 && (r.delivery().catchingUp() || r.paused())) {
            return "catching-up";
        }
        return "in-sync";
    }
}
