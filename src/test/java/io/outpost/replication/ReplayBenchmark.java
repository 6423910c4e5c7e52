package io.outpost.replication;

import com.sun.net.httpserver.HttpServer;
import io.outpost.journal.EntryDraft;
import io.outpost.journal.Header;
import io.outpost.journal.embedded.EmbeddedJournal;
import io.outpost.journal.embedded.JournalOptions;
import io.outpost.proxy.Transport;
import io.outpost.upstream.Endpoint;
import io.outpost.upstream.resilience.Backoff;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Replays a backlog of 100,000 entries over 1,000 sessions to a local replica that answers 201, and
 * reports writes/s. Stand-alone (it needs package access to the replicator):
 * {@code java -cp target/test-classes:target/classes:$(cat /tmp/cp.txt) io.outpost.replication.ReplayBenchmark [entries] [sessions] [lanes]}.
 */
public final class ReplayBenchmark {

    public static void main(String[] args) throws Exception {
        int entries = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int sessions = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
        int lanesPerReplica = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        AtomicLong received = new AtomicLong();
        HttpServer replica = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
        replica.setExecutor(Executors.newFixedThreadPool(8));
        replica.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            received.incrementAndGet();
            ex.sendResponseHeaders(201, -1);
            ex.close();
        });
        replica.start();
        Path dir = Files.createTempDirectory("replay-bench");
        try (EmbeddedJournal journal = EmbeddedJournal.open(JournalOptions.builder(dir).replicas("cloud", "edge").build())) {
            byte[] body = new byte[1024];
            List<Header> headers = List.of(new Header("Content-Type", "application/json"));
            long t0 = System.nanoTime();
            for (int chunk = 0; chunk < entries; chunk += 10_000) {
                List<CompletableFuture<?>> done = new ArrayList<>();
                for (int i = chunk; i < Math.min(entries, chunk + 10_000); i++) {
                    done.add(journal.append(new EntryDraft("s" + (i % sessions), "k" + i, "POST", "/sales", headers, body))
                            .thenCompose(e -> journal.recordOutcome(e.sequence(), "edge", 201)
                                    .thenCompose(v -> journal.commit(e.sequence()))));
                }
                CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).join();
            }
            System.out.printf("backlog of %d entries over %d sessions written in %d ms; cloud backlog %d%n",
                    entries, sessions, (System.nanoTime() - t0) / 1_000_000, journal.backlog("cloud"));

            var group = Transport.best().newGroup(2, "bench-delivery");
            DeliveryClient client = new DeliveryClient(Transport.best(), 1 << 20);
            AtomicLong ticks = new AtomicLong();
            Replica cloud = new Replica("cloud", 0,
                    List.of(Endpoint.of("http://127.0.0.1:" + replica.getAddress().getPort())),
                    new DeliveryHealth(System::nanoTime, new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1),
                            new SplittableRandom(1))), new RateMeter(System::nanoTime),
                    new ReadHealth(System::nanoTime, ReadHealth.Policy.DEFAULTS));
            ReplicationMetrics metrics = new ReplicationMetrics(new SimpleMeterRegistry(), "bench");
            SessionLoops loops = new SessionLoops(group);
            Replicator replicator = new Replicator(journal, List.of(cloud), client, loops, loops, ForkJoinPool.commonPool(),
                    metrics, new Divergences(10, r -> { }), Records.system(),
                    Set.of(502, 503, 504), Clock.systemUTC(), lanesPerReplica, 32);
            long start = System.nanoTime();
            replicator.tick();
            while (journal.backlog("cloud") > 0) {
                Thread.sleep(50); // the benchmark's own polling, not logic
                if (ticks.incrementAndGet() % 10 == 0) {
                    replicator.tick();
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("replayed %d entries (%d requests received) over %d sessions with %d lanes in %.2f s: "
                            + "%.0f writes/s; journal fsyncs %d%n", entries, received.get(), sessions, lanesPerReplica,
                    seconds, entries / seconds, journal.metrics().fsyncs());
            replicator.stop();
            client.close();
            group.shutdownGracefully();
        } finally {
            replica.stop(0);
            ((java.util.concurrent.ExecutorService) replica.getExecutor()).shutdownNow();
        }
    }
}
