package io.outpost.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.outpost.config.TimeoutsConfig;
import io.outpost.journal.EntryDraft;
import io.outpost.journal.Header;
import io.outpost.journal.StoredResponse;
import io.outpost.journal.Journal;
import io.outpost.journal.embedded.EmbeddedJournal;
import io.outpost.journal.embedded.JournalOptions;
import io.outpost.proxy.Transport;
import io.outpost.upstream.Endpoint;
import io.outpost.upstream.Ticker;
import io.outpost.upstream.XxHash64;
import io.outpost.upstream.resilience.Backoff;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Windows while a record is on its way to the disk: the write path and the replicator with real
 * replicas on loopback and a real journal, some of whose records take as long to become durable as
 * the test says (a slow fsync).
 */
class SettleWindowTest {

    @TempDir
    Path dir;

    @Test
    void aReplicaThatLacksAnAcknowledgedWriteDoesNotServeItsSessionWhileTheSettleRecordIsOnItsWay() throws Exception {
        CompletableFuture<Void> fsync = new CompletableFuture<>();
        EventLoopGroup group = Transport.best().newGroup(1, "settle-window");
        DeliveryClient client = new DeliveryClient(Transport.best(), 1 << 20);
        client.timeouts(new TimeoutsConfig(Duration.ofMillis(500), Duration.ofSeconds(2), Duration.ofSeconds(10)));
        try (ReplicaServer cloudServer = ReplicaServer.start("cloud");
             ReplicaServer edgeServer = ReplicaServer.start("edge");
             EmbeddedJournal real = EmbeddedJournal.open(JournalOptions.builder(dir.resolve("pos"))
                     .replicas("cloud", "edge").build())) {
            Journal journal = slowSettle(real, fsync);
            Replica cloud = replica("cloud", 0, cloudServer.url());
            Replica edge = replica("edge", 1, edgeServer.url());
            List<Replica> replicas = List.of(cloud, edge);
            SessionLoops loops = new SessionLoops(group);
            Replicator replicator = replicator(journal, replicas, client, loops);
            Writes writes = new Writes("pos", journal, replicator, () -> replicas, 1.4, loops,
                    ForkJoinPool.commonPool(), Ticker.system());

            cloud.paused(true);                                           // an operator pauses the cloud
            Writes.Answer answer = writes.write(new Writes.Request("till", null, "POST", "/sales",
                    List.of(new Header("X-Till", "till")), "w1".getBytes(StandardCharsets.UTF_8)))
                    .get(10, TimeUnit.SECONDS);
            assertThat(answer.status()).isEqualTo(201);                  // the edge applied it, the client knows
            assertThat(edgeServer.state().get("till")).containsExactly("w1");
            cloud.paused(false);                                          // and resumes it

            // The read the client sends next (ReplicatedService.read's choice): the cloud has not got w1.
            List<Replica> readOrder = ReplicaChooser.plan(replicas, r -> writes.mayServe(r, "till"),
                    XxHash64.hash("till"), 1.4).caughtUp();
            assertThat(cloudServer.state().get("till")).isNull();
            assertThat(readOrder).as("replicas that may serve a read of till").doesNotContain(cloud);

            fsync.complete(null);
            replicator.stop();
        } finally {
            fsync.complete(null);
            client.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    @Test
    void anAnsweredEntryIsNotDeliveredAgainWhenALaterOneOfItsBatchIsNotReached() throws Exception {
        CompletableFuture<Void> fsync = new CompletableFuture<>();
        EventLoopGroup group = Transport.best().newGroup(1, "outcome-window");
        DeliveryClient client = new DeliveryClient(Transport.best(), 1 << 20);
        client.timeouts(new TimeoutsConfig(Duration.ofMillis(500), Duration.ofSeconds(2), Duration.ofSeconds(10)));
        var disk = Executors.newSingleThreadScheduledExecutor();
        try (ReplicaServer cloudServer = ReplicaServer.start("cloud");
             EmbeddedJournal real = EmbeddedJournal.open(JournalOptions.builder(dir.resolve("pos"))
                     .replicas("cloud", "edge").build())) {
            for (String path : List.of("/a", "/b")) {                 // both answered by the edge, owed to the cloud
                var e = real.append(new EntryDraft("till", "key" + path, "POST", path,
                        List.of(new Header("X-Till", "till")), path.getBytes(StandardCharsets.UTF_8))).join();
                real.settle(e.sequence(), "edge", 201, StoredResponse.of(201, List.of(), new byte[0])).join();
            }
            cloudServer.reject("/b");                                   // answered 409, here a not-reached status
            // The cloud's answers take 300 ms to become durable; not-reached records are written at once.
            Journal journal = (Journal) Proxy.newProxyInstance(Journal.class.getClassLoader(),
                    new Class<?>[] {Journal.class}, (proxy, method, args) -> {
                        if (method.getName().equals("recordOutcome") && (int) args[2] != 0) {
                            disk.schedule(() -> fsync.complete(null), 300, TimeUnit.MILLISECONDS);
                            return fsync.thenCompose(v -> real.recordOutcome((long) args[0], (String) args[1],
                                    (int) args[2]));
                        }
                        try {
                            return method.invoke(real, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
            RandomGenerator noJitter = new RandomGenerator() {
                @Override
                public long nextLong() {
                    return 0;
                }

                @Override
                public long nextLong(long bound) {
                    return 0;   // full jitter drew the shortest backoff
                }
            };
            Replica cloud = new Replica("cloud", 0, List.of(Endpoint.of(cloudServer.url())),
                    new DeliveryHealth(System::nanoTime, new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1),
                            noJitter)), new RateMeter(System::nanoTime),
                    new ReadHealth(System::nanoTime, ReadHealth.Policy.DEFAULTS));
            SessionLoops loops = new SessionLoops(group);
            Replicator replicator = new Replicator(journal, List.of(cloud), client, loops, loops,
                    ForkJoinPool.commonPool(), new ReplicationMetrics(new SimpleMeterRegistry(), "pos"),
                    new Divergences(10, r -> { }), Records.system(),
                    Set.of(409, 502, 503, 504), Clock.systemUTC(), 64, 32);

            replicator.tick();
            await().atMost(Duration.ofSeconds(10)).until(() -> cloudServer.receivedBodies("till").size() >= 3);
            replicator.stop();
            // /a was answered 201 in the first round: the second round starts with /b (G4).
            assertThat(cloudServer.receivedBodies("till").subList(0, 3)).containsExactly("/a", "/b", "/b");
        } finally {
            fsync.complete(null);
            disk.shutdownNow();
            client.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    @Test
    void aSettleRecordTheDiskRefusedIsWrittenOnceItCanBeBeforeTheSessionMovesOn() throws Exception {
        EventLoopGroup group = Transport.best().newGroup(1, "settle-failure");
        DeliveryClient client = new DeliveryClient(Transport.best(), 1 << 20);
        client.timeouts(new TimeoutsConfig(Duration.ofMillis(500), Duration.ofSeconds(5), Duration.ofSeconds(10)));
        Path journalDir = dir.resolve("pos");
        Path moved = dir.resolve("pos-moved");
        try (ReplicaServer cloudServer = ReplicaServer.start("cloud");
             ReplicaServer edgeServer = ReplicaServer.start("edge");
             EmbeddedJournal journal = EmbeddedJournal.open(JournalOptions.builder(journalDir)
                     .replicas("cloud", "edge").segmentBytes(1024).build())) {
            Replica cloud = replica("cloud", 0, cloudServer.url());
            Replica edge = replica("edge", 1, edgeServer.url());
            List<Replica> replicas = List.of(cloud, edge);
            SessionLoops loops = new SessionLoops(group);
            Replicator replicator = replicator(journal, replicas, client, loops);
            Writes writes = new Writes("pos", journal, replicator, () -> replicas, 1.4, loops,
                    ForkJoinPool.commonPool(), Ticker.system());

            // e1 fills the segment, so the next record starts a new one; while the cloud works on e1,
            // the journal directory is replaced by a file: its settle record cannot be written.
            cloudServer.slow("till", 500);
            CompletableFuture<Writes.Answer> first = writes.write(request("e1" + "x".repeat(2000)));
            await().atMost(Duration.ofSeconds(5)).until(() -> cloudServer.inProgress() == 1);
            Files.move(journalDir, moved);
            Files.writeString(journalDir, "not a directory");
            assertThat(first.get(10, TimeUnit.SECONDS).status()).isEqualTo(201);   // the cloud applied e1
            await().atMost(Duration.ofSeconds(5)).until(() -> journal.metrics().failedWrites() > 0);
            Files.delete(journalDir);                                       // space is back
            Files.move(moved, journalDir);

            cloudServer.slow("till", 0);
            cloudServer.down();                                             // the next write fails over to the edge
            assertThat(writes.write(request("e2")).get(20, TimeUnit.SECONDS).status()).isEqualTo(201);
            // G2, G3: the edge received e1 (committed: the cloud processed it) before e2.
            assertThat(edgeServer.receivedBodies("till")).extracting(b -> b.substring(0, 2))
                    .containsExactly("e1", "e2");
            replicator.stop();
        } finally {
            client.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    private static Writes.Request request(String body) {
        return new Writes.Request("till", null, "POST", "/sales", List.of(new Header("X-Till", "till")),
                body.getBytes(StandardCharsets.UTF_8));
    }

    private static Replica replica(String name, int priority, String url) {
        return new Replica(name, priority, List.of(Endpoint.of(url)), new DeliveryHealth(System::nanoTime,
                new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), new SplittableRandom(1))),
                new RateMeter(System::nanoTime),
                new ReadHealth(System::nanoTime, ReadHealth.Policy.DEFAULTS));
    }

    /** The journal, whose settle records are written only once {@code fsync} completes. */
    private static Journal slowSettle(Journal real, CompletableFuture<Void> fsync) {
        return (Journal) Proxy.newProxyInstance(Journal.class.getClassLoader(), new Class<?>[] {Journal.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("settle")) {
                        return fsync.thenCompose(v -> real.settle((long) args[0], (String) args[1], (int) args[2],
                                (io.outpost.journal.StoredResponse) args[3]));
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** A replicator of service "pos" that runs everything on {@code loops}. */
    private static Replicator replicator(Journal journal, List<Replica> replicas, DeliveryClient client,
                                         SessionLoops loops) {
        return new Replicator(journal, replicas, client, loops, loops, ForkJoinPool.commonPool(),
                new ReplicationMetrics(new SimpleMeterRegistry(), "pos"),
                new Divergences(10, r -> { }), Records.system(),
                Set.of(502, 503, 504), Clock.systemUTC(), 64, 32);
    }
}
