package io.outpost.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The cloud link goes down and comes back while tills keep selling (G2, G3, G5). */
class LinkLossTest extends HarnessTest {

    @Test
    void linkLossMidLoadLosesNothingAndBothReplicasEndWithTheSameOrderPerSession() throws Exception {
        h = new Harness(dir).start();
        int tills = 16;
        AtomicBoolean running = new AtomicBoolean(true);
        Map<String, List<String>> acknowledged = new ConcurrentHashMap<>();
        List<String> errors = new CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(tills);
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < tills; t++) {
            String till = "till-" + t;
            workers.add(pool.submit(() -> {
                int n = 0;
                while (running.get()) {
                    String body = till + "-sale-" + n++;
                    try {
                        HttpResponse<String> r = h.post(till, "/sales", body, null);
                        if (r.statusCode() == 201) {
                            acknowledged.computeIfAbsent(till, k -> new CopyOnWriteArrayList<>()).add(body);
                        } else {
                            errors.add(r.statusCode() + " " + r.body());
                        }
                    } catch (Exception e) {
                        errors.add(e.toString());
                    }
                }
            }));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> h.cloud.received().size() > 100);
        h.cloud.down();                                                        // the link to the cloud is cut
        int atCut = total(acknowledged);
        await().atMost(Duration.ofSeconds(15)).until(() -> total(acknowledged) > atCut + 200);
        assertThat(h.replica("cloud").get("state").asText()).isEqualTo("unreachable");
        assertThat(h.replica("cloud").get("backlog").asLong()).isPositive();
        h.cloud.up();                                                          // and restored
        await().atMost(Duration.ofSeconds(10)).until(() -> total(acknowledged) > atCut + 400);
        running.set(false);
        for (Future<?> w : workers) {
            w.get();
        }
        pool.shutdown();

        assertThat(errors).isEmpty();                                          // the client saw no errors
        await().atMost(Duration.ofSeconds(20)).until(() -> h.replica("cloud").get("backlog").asLong() == 0
                && h.replica("edge").get("backlog").asLong() == 0);
        for (Map.Entry<String, List<String>> e : acknowledged.entrySet()) {
            // Same writes, same order, nothing lost, nothing applied twice, on both replicas.
            assertThat(h.cloud.state().get(e.getKey())).as(e.getKey() + " at cloud").isEqualTo(e.getValue());
            assertThat(h.edge.state().get(e.getKey())).as(e.getKey() + " at edge").isEqualTo(e.getValue());
        }
        assertThat(h.cloud.received()).anyMatch(r -> r.kind().equals("replay"));
        assertThat(h.edge.received()).anyMatch(r -> r.kind().equals("live"));
        await().atMost(Duration.ofSeconds(5)).until(() -> h.replica("cloud").get("state").asText().equals("in-sync"));
    }

    @Test
    void oneSessionWrittenOverManyConnectionsAtOnceReachesBothReplicasInOneOrder() throws Exception {
        h = new Harness(dir).start();   // two event loops: the connections are spread over both
        int clients = 8;
        int writes = 15;
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Future<?>> done = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            HttpClient own = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();   // own connection
            done.add(pool.submit(() -> {
                for (int i = 0; i < writes; i++) {
                    HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + h.port + "/sales"))
                            .header("X-Till", "shared").POST(HttpRequest.BodyPublishers.ofString(client + "-" + i))
                            .build();
                    assertThat(own.send(req, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(201);
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        await().atMost(Duration.ofSeconds(20)).until(() -> h.edge.receivedBodies("shared").size() == clients * writes);
        List<String> live = h.cloud.receivedBodies("shared");
        // The live replica got them in the lane's order, the shadow one in journal order: the same order (G3),
        // each write once (G4), and each client's own writes in the order it sent them.
        assertThat(live).hasSize(clients * writes).doesNotHaveDuplicates();
        assertThat(h.edge.receivedBodies("shared")).isEqualTo(live);
        for (int c = 0; c < clients; c++) {
            String prefix = c + "-";
            assertThat(live.stream().filter(b -> b.startsWith(prefix)).toList())
                    .isEqualTo(java.util.stream.IntStream.range(0, writes).mapToObj(i -> prefix + i).toList());
        }
    }

    @Test
    void failbackWaitsForCatchUpSoReadsNeverSeeOlderState() throws Exception {
        h = new Harness(dir).start();
        h.cloud.down();
        int acked = 0;
        for (int i = 0; i < 5; i++) {
            assertThat(h.post("till-a", "/sales", "a" + i, null).statusCode()).isEqualTo(201);
            acked++;
        }
        // The cloud comes back, but its replay of till-a is slow; other sessions are in sync at once.
        h.cloud.slow("till-a", 300);
        h.cloud.up();
        assertThat(h.post("till-b", "/sales", "b0", null).headers().firstValue("X-Replica")).isPresent();
        await().atMost(Duration.ofSeconds(10)).until(() -> h.get("till-b", "/state").headers()
                .firstValue("X-Replica").orElse("").equals("cloud"));                 // till-b is served by the cloud
        List<String> servedBy = new ArrayList<>();
        while (h.cloud.state().getOrDefault("till-a", List.of()).size() < acked) {
            HttpResponse<String> read = h.get("till-a", "/state");
            assertThat(read.body()).as("writes of till-a seen by a read").isEqualTo(String.valueOf(acked));
            servedBy.add(read.headers().firstValue("X-Replica").orElseThrow());
        }
        assertThat(servedBy).isNotEmpty().containsOnly("edge");
        await().atMost(Duration.ofSeconds(10)).until(() -> h.get("till-a", "/state").headers()
                .firstValue("X-Replica").orElse("").equals("cloud"));                // failback once caught up
        assertThat(h.get("till-a", "/state").body()).isEqualTo(String.valueOf(acked));
    }

    @Test
    void orderWithinEachSessionHoldsUnderParallelReplayOfManySessions() throws Exception {
        h = new Harness(dir).start();
        h.admin("POST", "/api/services/pos/replicas/cloud/pause");
        int sessions = 40;
        int writes = 10;
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> done = new ArrayList<>();
        for (int s = 0; s < sessions; s++) {
            String till = "till-" + s;
            done.add(pool.submit(() -> {
                for (int i = 0; i < writes; i++) {
                    String body = till + "-" + i;
                    assertThat(ReplicatedServiceTest.call(() -> h.post(till, "/sales", body, null))
                            .statusCode()).isEqualTo(201);
                }
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
        pool.shutdown();
        assertThat(h.cloud.received()).isEmpty();
        h.cloud.slow("till-0", 50); // one slow session must not hold the others back
        h.admin("POST", "/api/services/pos/replicas/cloud/resume");
        await().atMost(Duration.ofSeconds(20)).until(() -> h.cloud.received().size() == sessions * writes);
        for (int s = 0; s < sessions; s++) {
            String till = "till-" + s;
            assertThat(h.cloud.receivedBodies(till)).as(till)
                    .containsExactlyElementsOf(ReplicatedServiceTest.bodies(writes, till + "-"));
        }
        assertThat(h.cloud.maxConcurrentWrites()).as("sessions replayed in parallel").isGreaterThan(1);
        List<ReplicaServer.Received> all = h.cloud.received();
        int lastOfSlow = 0;
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).session().equals("till-0")) {
                lastOfSlow = i;
            }
        }
        assertThat(lastOfSlow).as("the slow session finished last, after the others").isGreaterThan(all.size() / 2);
    }

    private static int total(Map<String, List<String>> acknowledged) {
        return acknowledged.values().stream().mapToInt(List::size).sum();
    }
}
