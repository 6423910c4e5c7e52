package io.outpost.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.outpost.config.TimeoutsConfig;
import io.outpost.journal.EntryDraft;
import io.outpost.journal.Header;
import io.outpost.journal.Outcome;
import io.outpost.journal.StoredResponse;
import io.outpost.journal.embedded.EmbeddedJournal;
import io.outpost.journal.embedded.JournalOptions;
import io.outpost.proxy.Transport;
import io.outpost.upstream.Endpoint;
import io.outpost.upstream.resilience.Backoff;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A replica that stays unreachable for many retry rounds, then comes back. Real replicas, a real journal. */
class UnreachableReplicaTest {

    @TempDir
    Path dir;

    @Test
    void retriesToAnUnreachableReplicaDoNotPileUpOutcomeRecords() throws Exception {
        EventLoopGroup group = Transport.best().newGroup(1, "unreachable");
        DeliveryClient client = new DeliveryClient(Transport.best(), 1 << 20);
        client.timeouts(new TimeoutsConfig(Duration.ofMillis(500), Duration.ofSeconds(5), Duration.ofSeconds(10)));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        JournalOptions options = JournalOptions.builder(dir.resolve("pos")).replicas("cloud", "edge").build();
        try (ReplicaServer cloudServer = ReplicaServer.start("cloud")) {
            long seq;
            try (EmbeddedJournal journal = EmbeddedJournal.open(options)) {
                var e = journal.append(new EntryDraft("till", "key-a", "POST", "/a",
                        List.of(new Header("X-Till", "till")), "/a".getBytes(StandardCharsets.UTF_8))).join();
                seq = e.sequence();
                journal.settle(seq, "edge", 201, StoredResponse.of(201, List.of(), new byte[0])).join();
                cloudServer.down();
                Replica cloud = new Replica("cloud", 0, List.of(Endpoint.of(cloudServer.url())),
                        new DeliveryHealth(System::nanoTime, new Backoff(Duration.ofMillis(1), Duration.ofMillis(1),
                                new SplittableRandom(1))), new RateMeter(System::nanoTime),
                        new ReadHealth(System::nanoTime, ReadHealth.Policy.DEFAULTS));
                Replicator replicator = new Replicator(journal, List.of(cloud), client, new SessionLoops(group),
                        new SessionLoops(group), ForkJoinPool.commonPool(), new ReplicationMetrics(registry, "pos"),
                        new Divergences(10, r -> { }), Records.system(),
                        Set.of(502, 503, 504), Clock.systemUTC(), 64, 32);
                long recordsBefore = journal.metrics().records();

                await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(() -> {
                    replicator.tick();                                   // a retry round, the backoff has passed
                    return notReached(registry) >= 20;
                });
                replicator.stop();
                await().atMost(Duration.ofSeconds(5)).until(() -> notReachedOutcomes(journal.outcomes(seq)) >= 1);
                assertThat(notReachedOutcomes(journal.outcomes(seq))).as("not-reached outcomes kept").isEqualTo(1);
                assertThat(journal.metrics().records() - recordsBefore).as("records written").isEqualTo(1);
            }
            try (EmbeddedJournal reopened = EmbeddedJournal.open(options)) {
                assertThat(notReachedOutcomes(reopened.outcomes(seq))).isEqualTo(1);
                assertThat(reopened.backlog("cloud")).isEqualTo(1);   // still owed, replayed when the cloud is back
                cloudServer.up();
                Replica cloud = new Replica("cloud", 0, List.of(Endpoint.of(cloudServer.url())),
                        new DeliveryHealth(System::nanoTime, new Backoff(Duration.ofMillis(1), Duration.ofMillis(1),
                                new SplittableRandom(1))), new RateMeter(System::nanoTime),
                        new ReadHealth(System::nanoTime, ReadHealth.Policy.DEFAULTS));
                Replicator replicator = new Replicator(reopened, List.of(cloud), client, new SessionLoops(group),
                        new SessionLoops(group), ForkJoinPool.commonPool(), new ReplicationMetrics(registry, "pos2"),
                        new Divergences(10, r -> { }), Records.system(),
                        Set.of(502, 503, 504), Clock.systemUTC(), 64, 32);
                replicator.tick();
                await().atMost(Duration.ofSeconds(10)).until(() -> reopened.backlog("cloud") == 0);
                replicator.stop();
                assertThat(cloudServer.receivedBodies("till")).containsExactly("/a");
                assertThat(reopened.outcomes(seq)).extracting(Outcome::replica, Outcome::status)
                        .containsExactly(org.assertj.core.groups.Tuple.tuple("edge", 201),
                                org.assertj.core.groups.Tuple.tuple("cloud", Outcome.NOT_REACHED),
                                org.assertj.core.groups.Tuple.tuple("cloud", 201));
            }
        } finally {
            client.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    private static double notReached(SimpleMeterRegistry registry) {
        return registry.find("outpost.replication.deliveries").tags("service", "pos", "outcome", "not_reached")
                .counters().stream().mapToDouble(c -> c.count()).sum();
    }

    private static long notReachedOutcomes(List<Outcome> outcomes) {
        return outcomes.stream().filter(o -> !o.answered()).count();
    }
}
