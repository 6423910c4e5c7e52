package io.outpost.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.outpost.config.TimeoutsConfig;
import io.outpost.journal.Entry;
import io.outpost.journal.EntryDraft;
import io.outpost.journal.Header;
import io.outpost.journal.Journal;
import io.outpost.journal.StoredResponse;
import io.outpost.journal.embedded.EmbeddedJournal;
import io.outpost.journal.embedded.JournalOptions;
import io.outpost.proxy.Transport;
import io.outpost.upstream.Endpoint;
import io.outpost.upstream.FakeTicker;
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
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A replica's answer that the journal refuses (a real failure: the journal directory replaced by a file, so
 * the segment the record needs cannot be created) is kept and written again with backoff over a controlled
 * clock, the replica is not sent the entry again, and deliveries go on once the journal takes records again.
 */
class RefusedAnswerRecordTest {

    @TempDir
    Path dir;

    private final Logger log = (Logger) LoggerFactory.getLogger(RefusedAnswerRecordTest.class);
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

    @Test
    void aRefusedAnswerIsWrittenAgainWithBackoffAndTheReplicaIsNotSentTheEntryAgain() throws Exception {
        FakeTicker ticker = new FakeTicker();
        logged.start();
        log.addAppender(logged);
        // Full jitter draws the longest delay, so that each retry's time is known: 100 ms doubling to 5 s.
        RandomGenerator longest = new RandomGenerator() {
            @Override
            public long nextLong() {
                return 0;
            }

            @Override
            public long nextLong(long bound) {
                return bound - 1;
            }
        };
        RecordBackoff records = new RecordBackoff("pos", log, ticker,
                new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), longest));
        EventLoopGroup group = Transport.best().newGroup(1, "answer-record");
        DeliveryClient client = new DeliveryClient(Transport.best(), 1 << 20);
        client.timeouts(new TimeoutsConfig(Duration.ofMillis(500), Duration.ofSeconds(5), Duration.ofSeconds(10)));
        Path journalDir = dir.resolve("pos");
        Path moved = dir.resolve("pos-moved");
        AtomicInteger answerRecords = new AtomicInteger();
        try (ReplicaServer cloudServer = ReplicaServer.start("cloud");
             EmbeddedJournal real = EmbeddedJournal.open(JournalOptions.builder(journalDir)
                     .replicas("cloud", "edge").segmentBytes(1024).build())) {
            // e1, answered by the edge, is owed to the cloud; the settle record fills its segment, so the next
            // record needs a new one, which cannot be created while a file stands where the directory was.
            Entry e1 = real.append(draft("e1")).join();
            real.settle(e1.sequence(), "edge", 201, StoredResponse.of(201, List.of(), new byte[2000])).join();
            Files.move(journalDir, moved);
            Files.writeString(journalDir, "not a directory");

            Journal journal = countingAnswers(real, answerRecords);
            Replica cloud = new Replica("cloud", 0, List.of(Endpoint.of(cloudServer.url())),
                    new DeliveryHealth(ticker, new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), longest)),
                    new RateMeter(ticker), new ReadHealth(ticker, ReadHealth.Policy.DEFAULTS));
            SessionLoops loops = new SessionLoops(group);
            Replicator replicator = new Replicator(journal, List.of(cloud), client, loops, loops,
                    ForkJoinPool.commonPool(), new ReplicationMetrics(new SimpleMeterRegistry(), "pos"),
                    new Divergences(10, r -> { }), records, Set.of(502, 503, 504), Clock.systemUTC(), 64, 32);

            replicator.tick();
            await().atMost(Duration.ofSeconds(5)).until(() -> records.waiting() == 1);
            assertThat(records.failure()).hasValueSatisfying(why -> assertThat(why).contains("Not a directory"));
            assertThat(answerRecords).hasValue(1);
            // The clock does not move: no retry, and the entry is not sent again however long the lane waits.
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                    .until(() -> cloudServer.received().size() == 1 && answerRecords.get() == 1);

            int tries = 1;
            for (long delay : new long[] {100, 200, 400, 800, 1600, 3200, 5000, 5000}) {
                ticker.advance(Duration.ofMillis(delay - 1));
                replicator.tick();
                assertThat(answerRecords).as("tries %d ms into a backoff of %d ms", delay - 1, delay).hasValue(tries);
                ticker.advance(Duration.ofMillis(1));
                replicator.tick();
                assertThat(answerRecords).as("tries once a backoff of %d ms has passed", delay).hasValue(++tries);
                await().atMost(Duration.ofSeconds(5)).until(() -> records.waiting() == 1);
            }
            assertThat(real.metrics().failedWrites()).isEqualTo(tries);
            assertThat(cloudServer.received()).hasSize(1);

            Files.delete(journalDir);                                        // the disk takes records again
            Files.move(moved, journalDir);
            ticker.advance(Duration.ofSeconds(5));
            replicator.tick();
            await().atMost(Duration.ofSeconds(5)).until(() -> real.backlog("cloud") == 0);
            assertThat(records.failure()).isEmpty();
            assertThat(answerRecords).hasValue(tries + 1);

            // Deliveries go on as before: e2 reaches the cloud at the next tick.
            Entry e2 = real.append(draft("e2")).join();
            real.settle(e2.sequence(), "edge", 201, StoredResponse.of(201, List.of(), new byte[0])).join();
            replicator.tick();
            await().atMost(Duration.ofSeconds(5)).until(() -> real.backlog("cloud") == 0);
            assertThat(cloudServer.receivedBodies("till")).extracting(b -> b.substring(0, 2))
                    .containsExactly("e1", "e2");                            // each once, in order (G3, G4)
            assertThat(logged.list).extracting(ILoggingEvent::getLevel).containsExactly(Level.ERROR, Level.INFO);
            assertThat(logged.list.get(1).getFormattedMessage()).contains("after " + tries + " refused tries");
            replicator.stop().get(5, TimeUnit.SECONDS);
        } finally {
            log.detachAppender(logged);
            if (Files.isRegularFile(journalDir)) {
                Files.delete(journalDir);
                Files.move(moved, journalDir);
            }
            client.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    @Test
    void readyAndTheApiSayWhileAnswersAreRefusedAndTheReplicaGetsTheEntryOnce() throws Exception {
        // Small segments, so that a record soon needs a new segment file, which a file in the way refuses.
        Replication.openJournal = o -> EmbeddedJournal.open(new JournalOptions(o.directory(), o.replicas(), o.clock(),
                1024, o.retention(), o.maxBatch(), o.maxQueued(), o.cacheBytes()));
        Path journalDir = dir.resolve("journal").resolve("pos");
        Path moved = dir.resolve("pos-moved");
        try (Harness h = new Harness(dir).start()) {
            assertThat(h.admin("POST", "/api/services/pos/replicas/edge/pause").statusCode()).isEqualTo(200);
            // The cloud's answer echoes the body: its settle record fills the segment it starts.
            assertThat(h.post("till", "/sales", "w1" + "x".repeat(2000), null).statusCode()).isEqualTo(201);
            // The client is answered before the settle record is durable; once it is, the edge is owed w1.
            await().atMost(Duration.ofSeconds(5)).until(() -> h.replica("edge").get("backlog").asLong() == 1);
            Files.move(journalDir, moved);
            Files.writeString(journalDir, "not a directory");

            assertThat(h.admin("POST", "/api/services/pos/replicas/edge/resume").statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(10)).until(() -> h.admin("GET", "/ready").statusCode() == 503);
            assertThat(h.admin("GET", "/ready").body())
                    .contains("service pos: its journal refuses the replicas' answers").contains("Not a directory");
            assertThat(h.service().get("journal").get("answersError").asText()).contains("Not a directory");
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                    .until(() -> h.edge.received().size() == 1);

            Files.delete(journalDir);
            Files.move(moved, journalDir);
            await().atMost(Duration.ofSeconds(15)).until(() -> h.admin("GET", "/ready").statusCode() == 200);
            assertThat(h.service().get("journal").has("answersError")).isFalse();
            assertThat(h.replica("edge").get("backlog").asLong()).isZero();
            assertThat(h.edge.receivedBodies("till")).hasSize(1);
        } finally {
            Replication.openJournal = EmbeddedJournal::open;
            if (Files.isRegularFile(journalDir)) {
                Files.delete(journalDir);
                Files.move(moved, journalDir);
            }
        }
    }

    private static EntryDraft draft(String name) {
        return new EntryDraft("till", "key-" + name, "POST", "/sales", List.of(new Header("X-Till", "till")),
                (name + "x".repeat(2000)).getBytes(StandardCharsets.UTF_8));
    }

    /** The journal, counting the answer records asked of it (not-reached records are not answers). */
    private static Journal countingAnswers(Journal real, AtomicInteger count) {
        return (Journal) Proxy.newProxyInstance(Journal.class.getClassLoader(), new Class<?>[] {Journal.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("recordOutcome") && (int) args[2] != 0) {
                        count.incrementAndGet();
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
