package io.outpost.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.journal.Outcome;
import io.outpost.middleware.Exchange;
import io.outpost.upstream.Endpoint;
import io.outpost.upstream.XxHash64;
import io.outpost.upstream.resilience.Backoff;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/** The pure parts, without sockets or sleeps: replica choice, backoff, lanes, session keys, divergence. */
class ReplicationLogicTest {

    private final AtomicLong now = new AtomicLong();

    private Replica replica(String name, int priority) {
        RandomGenerator random = new SplittableRandom(7);
        return new Replica(name, priority, List.of(Endpoint.of("http://127.0.0.1:1" + priority + name.length())),
                new DeliveryHealth(now::get, new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), random)),
                new RateMeter(now::get),
                new ReadHealth(now::get, ReadHealth.Policy.DEFAULTS));
    }

    @Test
    void servingReplicaIsTheFirstHealthyUnpausedCaughtUpOne() {
        Replica cloud = replica("cloud", 0);
        Replica edge = replica("edge", 1);
        List<Replica> all = List.of(edge, cloud);
        assertThat(ReplicaChooser.plan(all, r -> true, 42, 1.4).caughtUp()).containsExactly(cloud, edge);

        var behind = ReplicaChooser.plan(all, r -> r != cloud, 42, 1.4);     // cloud owes the session writes
        assertThat(behind.caughtUp()).containsExactly(edge);
        assertThat(behind.forWrite()).containsExactly(edge, cloud);          // a write may still catch it up

        cloud.paused(true);
        assertThat(ReplicaChooser.plan(all, r -> true, 42, 1.4).forWrite()).containsExactly(edge);
        cloud.paused(false);
        cloud.delivery().failed();                                           // deliveries failing: last resort
        assertThat(ReplicaChooser.plan(all, r -> true, 42, 1.4).caughtUp()).containsExactly(edge, cloud);
    }

    @Test
    void readsSkipAReplicaAfterThreeFailuresInARowForABackOffThatGrowsUntilItAnswers() {
        Replica cloud = replica("cloud", 0);
        Replica edge = replica("edge", 1);
        List<Replica> all = List.of(edge, cloud);
        ReadHealth reads = cloud.reads();

        reads.failed();
        reads.failed();
        reads.answered();                                                    // an answer breaks the run
        reads.failed();
        reads.failed();
        assertThat(reads.skipped()).isFalse();
        assertThat(ReplicaChooser.readOrder(all, r -> true, 42, 1.4)).containsExactly(cloud, edge);

        reads.failed();                                                      // the third in a row
        assertThat(reads.skipped()).isTrue();
        long until = now.get() + Duration.ofSeconds(30).toNanos();
        assertThat(reads.skippedUntilNanos()).hasValue(until);
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        reads.failed();                                                      // under way when the skip began
        assertThat(reads.skippedUntilNanos()).hasValue(until);               // does not lengthen it
        // Still tried when the others do not answer; writes do not consult it.
        assertThat(ReplicaChooser.readOrder(all, r -> true, 42, 1.4)).containsExactly(edge, cloud);
        assertThat(ReplicaChooser.plan(all, r -> true, 42, 1.4).caughtUp()).containsExactly(cloud, edge);

        now.set(until);
        assertThat(ReplicaChooser.readOrder(all, r -> true, 42, 1.4)).containsExactly(cloud, edge);
        reads.failed();                                                      // the trial fails: skipped again, longer
        assertThat(reads.skippedUntilNanos()).hasValue(now.get() + Duration.ofSeconds(60).toNanos());
        now.addAndGet(Duration.ofSeconds(59).toNanos());
        assertThat(reads.skipped()).isTrue();
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(reads.skipped()).isFalse();

        reads.answered();
        assertThat(reads.failures()).isZero();
        reads.failed();
        assertThat(reads.skipped()).isFalse();                               // the count starts again
    }

    @Test
    void onceASkipHasRunOutOneReadIsItsTrialAndTheOthersKeepSkippingTheReplicaUntilItsVerdict() {
        Replica cloud = replica("cloud", 0);
        Replica edge = replica("edge", 1);
        List<Replica> all = List.of(edge, cloud);
        ReadHealth reads = cloud.reads();
        long verdict = Duration.ofSeconds(6).toNanos();
        reads.failed();
        reads.failed();
        reads.failed();
        reads.attempt(verdict);                                              // a last resort during the skip: no trial
        now.addAndGet(Duration.ofSeconds(30).toNanos());
        assertThat(reads.skipped()).isFalse();
        assertThat(ReplicaChooser.readOrder(all, r -> true, 42, 1.4)).containsExactly(cloud, edge);

        reads.attempt(verdict);                                              // the first read to go there
        assertThat(reads.skipped()).isTrue();
        assertThat(reads.skippedUntilNanos()).hasValue(now.get() + verdict);
        assertThat(ReplicaChooser.readOrder(all, r -> true, 42, 1.4)).containsExactly(edge, cloud);
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        reads.attempt(verdict);                                              // a failover there meanwhile
        assertThat(reads.skippedUntilNanos()).hasValue(now.get() - Duration.ofSeconds(1).toNanos() + verdict);

        reads.answered();                                                    // the trial is answered
        assertThat(reads.skipped()).isFalse();
        assertThat(ReplicaChooser.readOrder(all, r -> true, 42, 1.4)).containsExactly(cloud, edge);
        reads.attempt(verdict);
        assertThat(reads.skipped()).isFalse();                               // healthy: no trial to hold others back
    }

    @Test
    void aTrialWithoutAVerdictLetsTheNextReadTryAndAFailedOneSkipsForLonger() {
        ReadHealth reads = new ReadHealth(now::get, ReadHealth.Policy.DEFAULTS);
        long verdict = Duration.ofSeconds(6).toNanos();
        reads.failed();
        reads.failed();
        reads.failed();
        now.addAndGet(Duration.ofSeconds(30).toNanos());
        reads.attempt(verdict);                                              // its client goes away: no verdict
        now.addAndGet(verdict - 1);
        assertThat(reads.skipped()).isTrue();
        now.addAndGet(1);
        assertThat(reads.skipped()).isFalse();

        reads.attempt(verdict);                                              // the next read is the trial
        assertThat(reads.skipped()).isTrue();
        reads.failed();
        assertThat(reads.skippedUntilNanos()).hasValue(now.get() + Duration.ofSeconds(60).toNanos());
        now.addAndGet(Duration.ofSeconds(60).toNanos());
        assertThat(reads.skipped()).isFalse();                               // the failed trial holds nothing back
    }

    @Test
    void aReadSkipNeverExceedsTheMaximum() {
        ReadHealth reads = new ReadHealth(now::get, new ReadHealth.Policy(1, Duration.ofSeconds(30),
                Duration.ofSeconds(300)));
        for (int i = 0; i < 20; i++) {
            now.addAndGet(Duration.ofSeconds(300).toNanos());                // past any skip: each failure is a trial
            reads.failed();
        }
        assertThat(reads.skippedUntilNanos()).hasValue(now.get() + Duration.ofSeconds(300).toNanos());
        reads.healthRestored();                                              // an active check saw it come back
        assertThat(reads.skipped()).isFalse();
    }

    @Test
    void replicasOfOneLevelShareSessionsByStableHash() {
        Replica a = replica("a", 0);
        Replica b = replica("bb", 0);
        List<Replica> all = List.of(a, b);
        int onA = 0;
        for (int s = 0; s < 1000; s++) {
            long hash = XxHash64.hash("session-" + s);
            Replica first = ReplicaChooser.plan(all, r -> true, hash, 1.4).caughtUp().get(0);
            assertThat(ReplicaChooser.plan(all, r -> true, hash, 1.4).caughtUp().get(0)).isSameAs(first);
            onA += first == a ? 1 : 0;
        }
        assertThat(onA).isBetween(400, 600);
    }

    @Test
    void backoffGrowsWithJitterAndResetsOnAnswerOrHealth() {
        DeliveryHealth health = new DeliveryHealth(now::get,
                new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), new SplittableRandom(1)));
        assertThat(health.mayDeliver()).isTrue();
        health.failed();
        assertThat(health.unreachable()).isTrue();
        assertThat(health.catchingUp()).isTrue();
        long wait = health.nanosUntilRetry();
        assertThat(wait).isBetween(0L, TimeUnit.MILLISECONDS.toNanos(100));
        now.addAndGet(wait + 1);
        assertThat(health.mayDeliver()).isTrue();
        for (int i = 0; i < 10; i++) {
            health.failed();
        }
        assertThat(health.nanosUntilRetry()).isLessThanOrEqualTo(TimeUnit.SECONDS.toNanos(5));
        health.healthRestored();
        assertThat(health.mayDeliver()).isTrue();
        health.answered();
        assertThat(health.unreachable()).isFalse();
        assertThat(health.catchingUp()).isTrue();   // replays until the backlog is gone
        health.caughtUp();
        assertThat(health.catchingUp()).isFalse();
    }

    @Test
    void lanesRunOneKeyInOrderAndKeysInParallel() throws Exception {
        var executor = Executors.newFixedThreadPool(4);
        Lanes<String> lanes = new Lanes<>();
        List<Integer> order = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<Void> gate = new CompletableFuture<>();
        CompletableFuture<Integer> first = lanes.submit("s", executor, () -> gate.thenApply(v -> {
            order.add(1);
            return 1;
        }));
        CompletableFuture<Integer> second = lanes.submit("s", executor, () -> {
            order.add(2);
            return CompletableFuture.completedFuture(2);
        });
        CompletableFuture<Integer> other = lanes.submit("t", executor, () -> CompletableFuture.completedFuture(3));
        assertThat(other.get(5, TimeUnit.SECONDS)).isEqualTo(3);       // not held back by lane s
        assertThat(second).isNotDone();
        gate.complete(null);
        assertThat(second.get(5, TimeUnit.SECONDS)).isEqualTo(2);
        assertThat(first.get()).isEqualTo(1);
        assertThat(order).containsExactly(1, 2);
        assertThat(lanes.size()).isZero();
        executor.shutdown();
    }

    @Test
    void sessionKeysComeFromHeaderCookieOrClaim() {
        String payload = Base64.getUrlEncoder().withoutPadding().encodeToString("{\"sub\":\"till-9\"}".getBytes());
        Exchange bearer = exchange(Map.of("authorization", "Bearer e30." + payload + ".sig"), null);
        assertThat(new SessionKeys(Optional.of(io.outpost.config.RequestKey.parse("claim:sub",
                Set.of(io.outpost.config.RequestKey.Source.CLAIM)))).of(bearer)).isEqualTo("till-9");
        Exchange verified = exchange(Map.of(), Map.of("sub", "verified-1"));
        assertThat(new SessionKeys(Optional.of(new io.outpost.config.RequestKey(
                io.outpost.config.RequestKey.Source.CLAIM, "sub"))).of(verified)).isEqualTo("verified-1");
        Exchange cookie = exchange(Map.of("cookie", "a=1; till=\"t-3\""), null);
        assertThat(new SessionKeys(Optional.of(new io.outpost.config.RequestKey(
                io.outpost.config.RequestKey.Source.COOKIE, "till"))).of(cookie)).isEqualTo("t-3");
        assertThat(new SessionKeys(Optional.of(new io.outpost.config.RequestKey(
                io.outpost.config.RequestKey.Source.HEADER, "X-Till"))).of(cookie)).isNull();
        assertThat(new SessionKeys(Optional.empty()).of(cookie)).isEqualTo(SessionKeys.SINGLE_SESSION);
        assertThat(SessionKeys.claimOfToken("not-a-token", "sub")).isNull();
    }

    @Test
    void divergenceIsADifferentStatusClassFromAnotherReplica() {
        List<String> counted = new ArrayList<>();
        Divergences d = new Divergences(2, counted::add);
        assertThat(d.check(1, "s", "edge", 200, List.of(new Outcome("cloud", 201, 0)), 0)).isFalse();
        assertThat(d.check(2, "s", "edge", 201, List.of(new Outcome("cloud", 0, 0)), 0)).isFalse();
        assertThat(d.check(3, "s", "edge", 409, List.of(new Outcome("cloud", 201, 0)), 0)).isTrue();
        d.check(4, "s", "edge", 500, List.of(new Outcome("cloud", 201, 0)), 0);
        d.check(5, "s", "edge", 404, List.of(new Outcome("cloud", 201, 0)), 0);
        assertThat(counted).containsExactly("edge", "edge", "edge");
        assertThat(d.recent()).extracting(Divergences.Divergence::sequence).containsExactly(5L, 4L);
        assertThat(d.recent().get(0).statuses()).isEqualTo(Map.of("cloud", 201, "edge", 404));
    }

    private static Exchange exchange(Map<String, String> headers, Map<String, Object> claims) {
        return (Exchange) Proxy.newProxyInstance(Exchange.class.getClassLoader(), new Class<?>[] {Exchange.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "header" -> headers.get(((String) args[0]).toLowerCase(java.util.Locale.ROOT));
                    case "attribute" -> args.length == 1 && args[0].equals(SessionKeys.CLAIMS_ATTRIBUTE) ? claims : null;
                    default -> null;
                });
    }
}
