package io.outpost.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.outpost.config.TimeoutsConfig;
import io.outpost.journal.Header;
import io.outpost.journal.Journal;
import io.outpost.journal.embedded.EmbeddedJournal;
import io.outpost.journal.embedded.JournalOptions;
import io.outpost.proxy.Transport;
import io.outpost.upstream.Endpoint;
import io.outpost.upstream.XxHash64;
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
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The window between the client's answer and the settle record's fsync (docs/replication.md, write
 * step 4): the write path with real replicas on loopback and a real journal whose settle records take
 * as long to become durable as the test says (a slow fsync).
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
            Replicator replicator = new Replicator(journal, replicas, client, loops, loops, ForkJoinPool.commonPool(),
                    new ReplicationMetrics(new SimpleMeterRegistry(), "pos"), new Divergences(10, r -> { }),
                    Set.of(502, 503, 504), Clock.systemUTC(), 64, 32);
            Writes writes = new Writes("pos", journal, replicator, () -> replicas, 1.4, loops);

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

    private static Replica replica(String name, int priority, String url) {
        return new Replica(name, priority, List.of(Endpoint.of(url)), new DeliveryHealth(System::nanoTime,
                new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), new SplittableRandom(1))),
                new RateMeter(System::nanoTime));
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
}
