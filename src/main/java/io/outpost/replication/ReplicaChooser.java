package io.outpost.replication;

import io.outpost.upstream.PriorityLoad;
import io.outpost.upstream.XxHash64;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * Which replica serves a session, and where a request goes if it does not answer. Pure logic over
 * the replicas' state. A replica is eligible to serve a session when it is healthy, not paused and
 * caught up on that session (G5); for a read, healthy also means that reads do not skip it
 * ({@link ReadHealth}), which writes do not consult. Among eligible replicas the priority levels share sessions by
 * Envoy's priority load (health of a level = min(100, factor × eligible%)), and a stable hash of the
 * session picks the level and the replica in it, so a session does not flap.
 */
final class ReplicaChooser {

    /**
     * @param caughtUp replicas that hold every committed write of the session, serving one first;
     *                 reads may go only here
     * @param behind   replicas that are not paused but still owe the session writes; a write that no
     *                 caught-up replica takes goes here after the replica has caught up
     */
    record Plan(List<Replica> caughtUp, List<Replica> behind) {
        List<Replica> forWrite() {
            List<Replica> all = new ArrayList<>(caughtUp);
            all.addAll(behind);
            return all;
        }
    }

    private ReplicaChooser() {
    }

    static Plan plan(List<Replica> replicas, Predicate<Replica> caughtUp, long sessionHash, double factor) {
        return plan(replicas, caughtUp, Replica::healthy, sessionHash, factor);
    }

    /**
     * The replicas a read may go to, serving one first. One that reads skip counts as unhealthy: it goes after
     * the healthy ones, so it is still tried when none of them answers rather than failing the read.
     */
    static List<Replica> readOrder(List<Replica> replicas, Predicate<Replica> caughtUp, long sessionHash,
                                   double factor) {
        return plan(replicas, caughtUp, r -> r.healthy() && !r.reads().skipped(), sessionHash, factor).caughtUp();
    }

    private static Plan plan(List<Replica> replicas, Predicate<Replica> caughtUp, Predicate<Replica> healthyNow,
                             long sessionHash, double factor) {
        List<Replica> sorted = new ArrayList<>(replicas);
        sorted.sort(Comparator.comparingInt(Replica::priority));
        TreeMap<Integer, List<Replica>> eligibleByLevel = new TreeMap<>();
        TreeMap<Integer, Integer> totalByLevel = new TreeMap<>();
        List<Replica> eligible = new ArrayList<>();
        List<Replica> caughtUpUnhealthy = new ArrayList<>();
        List<Replica> behindHealthy = new ArrayList<>();
        List<Replica> behindUnhealthy = new ArrayList<>();
        for (Replica r : sorted) {
            totalByLevel.merge(r.priority(), 1, Integer::sum);
            eligibleByLevel.computeIfAbsent(r.priority(), p -> new ArrayList<>());
            if (r.paused()) {
                continue;
            }
            boolean healthy = healthyNow.test(r);
            if (caughtUp.test(r)) {
                if (healthy) {
                    eligible.add(r);
                    eligibleByLevel.get(r.priority()).add(r);
                } else {
                    caughtUpUnhealthy.add(r);
                }
            } else {
                (healthy ? behindHealthy : behindUnhealthy).add(r);
            }
        }
        List<Replica> first = new ArrayList<>();
        Replica serving = serving(eligibleByLevel, totalByLevel, sessionHash, factor);
        if (serving != null) {
            first.add(serving);
        }
        for (Replica r : eligible) {
            if (r != serving) {
                first.add(r);
            }
        }
        first.addAll(caughtUpUnhealthy);
        List<Replica> behind = new ArrayList<>(behindHealthy);
        behind.addAll(behindUnhealthy);
        return new Plan(List.copyOf(first), List.copyOf(behind));
    }

    private static Replica serving(TreeMap<Integer, List<Replica>> eligibleByLevel,
                                   TreeMap<Integer, Integer> totalByLevel, long hash, double factor) {
        int levels = totalByLevel.size();
        int[] healthy = new int[levels];
        int[] total = new int[levels];
        List<List<Replica>> byLevel = new ArrayList<>(levels);
        int i = 0;
        int anyEligible = 0;
        for (var e : totalByLevel.entrySet()) {
            List<Replica> level = eligibleByLevel.get(e.getKey());
            byLevel.add(level);
            healthy[i] = level.size();
            total[i] = e.getValue();
            anyEligible += level.size();
            i++;
        }
        if (anyEligible == 0) {
            return null;
        }
        PriorityLoad load = PriorityLoad.compute(healthy, total, factor, 0);
        List<Replica> level = byLevel.get(load.levelFor(hash));
        if (level.isEmpty()) {
            return null;
        }
        return level.get((int) Long.remainderUnsigned(XxHash64.mix(hash ^ 0x5bd1e995L), level.size()));
    }
}
