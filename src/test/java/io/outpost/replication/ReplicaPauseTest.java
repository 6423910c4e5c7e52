package io.outpost.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.outpost.config.TimeoutsConfig;
import io.outpost.journal.EntryDraft;
import io.outpost.journal.Header;
import io.outpost.journal.Journal;
import io.outpost.journal.StoredResponse;
import io.outpost.journal.embedded.EmbeddedJournal;
import io.outpost.journal.embedded.JournalOptions;
import io.outpost.proxy.Transport;
import io.outpost.upstream.Endpoint;
import io.outpost.upstream.Ticker;
import io.outpost.upstream.resilience.Backoff;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "A paused replica receives nothing": pausing takes effect for deliveries already under way, not only
 * for those started later. Real replicas on loopback, a real journal.
 */
class ReplicaPauseTest {

    @TempDir
    Path dir;

    private EventLoopGroup group;
    private DeliveryClient client;
    private ReplicaServer cloudServer;
    private ReplicaServer edgeServer;
    private EmbeddedJournal journal;
    private Replica cloud;
    private Replica edge;
    private SessionLoops loops;
    private Replicator replicator;

    @BeforeEach
    void start() throws Exception {
        group = Transport.best().newGroup(1, "pause");
        client = new DeliveryClient(Transport.best(), 1 << 20);
        client.timeouts(new TimeoutsConfig(Duration.ofMillis(500), Duration.ofSeconds(5), Duration.ofSeconds(10)));
        cloudServer = ReplicaServer.start("cloud");
        edgeServer = ReplicaServer.start("edge");
        journal = EmbeddedJournal.open(JournalOptions.builder(dir.resolve("pos")).replicas("cloud", "edge").build());
        cloud = replica("cloud", 0, cloudServer.url());
        edge = replica("edge", 1, edgeServer.url());
        loops = new SessionLoops(group);
        replicator = new Replicator(journal, List.of(cloud, edge), client, loops, loops, ForkJoinPool.commonPool(),
                new ReplicationMetrics(new SimpleMeterRegistry(), "pos"),
                new Divergences(10, r -> { }), Records.system(),
                Set.of(502, 503, 504), Clock.systemUTC(), 64, 32);
    }

    @AfterEach
    void stop() {
        replicator.stop();
        cloudServer.close();
        edgeServer.close();
        journal.close();
        client.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /** Writes of session till that the edge answered and the cloud is owed. */
    private void owedToTheCloud(String... paths) {
        for (String path : paths) {
            var e = journal.append(new EntryDraft("till", "key" + path, "POST", path,
                    List.of(new Header("X-Till", "till")), path.getBytes(StandardCharsets.UTF_8))).join();
            journal.settle(e.sequence(), "edge", 201, StoredResponse.of(201, List.of(), new byte[0])).join();
        }
    }

    @Test
    void aReplicaPausedWhileABatchIsBeingDeliveredGetsNothingAfterTheDeliveryUnderWay() throws Exception {
        owedToTheCloud("/a", "/b", "/c", "/d");
        cloudServer.slow("till", 300);
        CompletableFuture<Boolean> lane = CompletableFuture.supplyAsync(
                () -> replicator.deliverBacklog(cloud, "till"), loops.of("till")).thenCompose(f -> f);
        await().atMost(Duration.ofSeconds(5)).until(() -> cloudServer.inProgress() == 1);   // /a is at the cloud

        cloud.paused(true);                                                 // POST .../cloud/pause
        assertThat(lane.get(10, TimeUnit.SECONDS)).as("caught up").isFalse();
        assertThat(cloudServer.receivedBodies("till")).containsExactly("/a");
        assertThat(journal.backlog("cloud")).isEqualTo(3);                  // replayed on resume

        cloud.paused(false);
        cloudServer.slow("till", 0);
        assertThat(replicator.deliverBacklog(cloud, "till").get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(cloudServer.receivedBodies("till")).containsExactly("/a", "/b", "/c", "/d");
    }

    @Test
    void aLiveWriteForAReplicaPausedAfterItWasChosenIsNotSentToIt() throws Exception {
        owedToTheCloud("/a");
        cloudServer.slow("till", 500);
        replicator.tick();                                                  // the cloud's lane delivers /a
        await().atMost(Duration.ofSeconds(5)).until(() -> cloudServer.inProgress() == 1);
        edge.paused(true);
        CountDownLatch planned = new CountDownLatch(1);
        // The write path's journal says when the write's replicas are being chosen: the cloud is judged
        // (not paused, behind on the session) once the plan asks whether it has a backlog.
        Journal seen = (Journal) Proxy.newProxyInstance(Journal.class.getClassLoader(), new Class<?>[] {Journal.class},
                (proxy, method, args) -> {
                    try {
                        return method.invoke(journal, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    } finally {
                        if (method.getName().equals("hasBacklog") && args[0].equals("cloud")) {
                            planned.countDown();
                        }
                    }
                });
        Writes writes = new Writes("pos", seen, replicator, () -> List.of(cloud, edge), 1.4, loops,
                ForkJoinPool.commonPool(), Ticker.system());

        CompletableFuture<Writes.Answer> answer = writes.write(new Writes.Request("till", "key-w", "POST", "/w",
                List.of(new Header("X-Till", "till")), "/w".getBytes(StandardCharsets.UTF_8)));
        assertThat(planned.await(5, TimeUnit.SECONDS)).isTrue();           // the cloud is the one chosen
        cloud.paused(true);                                                 // and is paused before it gets it

        Writes.Answer a = answer.get(10, TimeUnit.SECONDS);
        assertThat(a.status()).as(new String(a.body(), StandardCharsets.UTF_8)).isEqualTo(503);   // all paused
        await().atMost(Duration.ofSeconds(5)).until(() -> !cloudServer.receivedBodies("till").isEmpty());
        assertThat(cloudServer.receivedBodies("till")).containsExactly("/a");
    }

    private static Replica replica(String name, int priority, String url) {
        return new Replica(name, priority, List.of(Endpoint.of(url)), new DeliveryHealth(System::nanoTime,
                new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), new SplittableRandom(1))),
                new RateMeter(System::nanoTime),
                new ReadHealth(System::nanoTime, ReadHealth.Policy.DEFAULTS));
    }
}
