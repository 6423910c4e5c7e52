package io.outpost.replication;

import io.outpost.journal.Outcome;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * G7: replicas that answered one write with different status classes (201 against 409). Each such
 * answer is counted against the replica that gave it, and the most recent divergent entries are kept
 * for the admin API.
 */
final class Divergences {

    /** One divergent entry: its sequence, session and each replica's last status. */
    record Divergence(long sequence, String session, Map<String, Integer> statuses, long atMillis) {
    }

    private final int keep;
    private final Consumer<String> counter;
    private final ArrayDeque<Divergence> recent = new ArrayDeque<>();

    /**
     * @param keep    how many divergent entries to remember
     * @param counter told the replica name of each divergent answer (the metric)
     */
    Divergences(int keep, Consumer<String> counter) {
        this.keep = keep;
        this.counter = counter;
    }

    /**
     * Compares {@code replica}'s answer with the answers recorded before it.
     *
     * @return true when it diverges from one of them
     */
    boolean check(long sequence, String session, String replica, int status, List<Outcome> earlier, long nowMillis) {
        Map<String, Integer> statuses = new LinkedHashMap<>();
        boolean diverges = false;
        for (Outcome o : earlier) {
            if (o.answered() && !o.replica().equals(replica)) {
                statuses.put(o.replica(), o.status());
                diverges |= o.status() / 100 != status / 100;
            }
        }
        if (!diverges) {
            return false;
        }
        statuses.put(replica, status);
        counter.accept(replica);
        synchronized (recent) {
            recent.removeIf(d -> d.sequence() == sequence);
            recent.addFirst(new Divergence(sequence, session, Map.copyOf(statuses), nowMillis));
            while (recent.size() > keep) {
                recent.removeLast();
            }
        }
        return true;
    }

    /** The most recent divergent entries, newest first. */
    List<Divergence> recent() {
        synchronized (recent) {
            return new ArrayList<>(recent);
        }
    }
}
