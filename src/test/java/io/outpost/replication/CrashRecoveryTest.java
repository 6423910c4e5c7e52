package io.outpost.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** G1 and G4 across a crash: the gateway runs in a child JVM and is killed with SIGKILL while writes flow. */
class CrashRecoveryTest {

    @TempDir
    Path dir;

    private Harness h;
    private Process child;

    @AfterEach
    void stop() {
        if (child != null) {
            child.destroyForcibly();
        }
        if (h != null) {
            h.close();
        }
    }

    @Test
    void everyAcknowledgedWriteReachesBothReplicasExactlyOnceAfterKillDashNine() throws Exception {
        h = new Harness(dir);
        Files.writeString(h.file, h.yaml(""));
        child = startGateway();
        int tills = 8;
        AtomicBoolean running = new AtomicBoolean(true);
        Map<String, List<String>> acknowledged = new ConcurrentHashMap<>();
        List<String> acknowledgedKeys = new CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(tills);
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < tills; t++) {
            String till = "till-" + t;
            workers.add(pool.submit(() -> {
                int n = 0;
                while (running.get()) {
                    String body = till + "-" + n;
                    String key = body + "-key";
                    n++;
                    try {
                        HttpResponse<String> r = h.post(till, "/sales", body, key);
                        if (r.statusCode() == 201) {
                            acknowledged.computeIfAbsent(till, k -> new CopyOnWriteArrayList<>()).add(body);
                            acknowledgedKeys.add(key);
                        }
                    } catch (Exception e) {
                        return; // the gateway died under this request: its fate is unknown to the client
                    }
                }
            }));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> acknowledgedKeys.size() > 300);
        child.destroyForcibly().waitFor();                                      // SIGKILL
        running.set(false);
        for (Future<?> w : workers) {
            w.get();
        }
        pool.shutdown();
        int acked = acknowledgedKeys.size();

        child = startGateway();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            Map<String, List<String>> cloud = h.cloud.state();
            Map<String, List<String>> edge = h.edge.state();
            return acknowledged.entrySet().stream().allMatch(e ->
                    cloud.getOrDefault(e.getKey(), List.of()).containsAll(e.getValue())
                            && edge.getOrDefault(e.getKey(), List.of()).containsAll(e.getValue()));
        });
        for (ReplicaServer replica : List.of(h.cloud, h.edge)) {
            Map<String, Integer> deliveries = new HashMap<>();
            replica.received().forEach(r -> deliveries.merge(r.key(), 1, Integer::sum));
            for (String key : acknowledgedKeys) {
                assertThat(deliveries.get(key)).as(key).isNotNull();
            }
            // Exactly once in the replica's state; a second delivery is possible only for the writes in
            // flight at the kill (answered by the replica, outcome not yet durable), and carries the same key.
            long duplicated = deliveries.values().stream().filter(n -> n > 1).count();
            assertThat(duplicated).as("writes delivered twice").isLessThanOrEqualTo(2L * tills);
            for (Map.Entry<String, List<String>> e : acknowledged.entrySet()) {
                List<String> state = replica.state().get(e.getKey());
                assertThat(state).as(e.getKey()).doesNotHaveDuplicates();
                assertThat(state.subList(0, e.getValue().size())).as(e.getKey() + " in order")
                        .isEqualTo(e.getValue());
            }
        }
        assertThat(acked).isGreaterThan(300);
    }

    private Process startGateway() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "io.outpost.cli.Main", "run", "-c", h.file.toString(), "--warmup", "0")
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("gateway.log").toFile())
                .start();
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> h.client.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + h.adminPort + "/ready")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
        return p;
    }
}
