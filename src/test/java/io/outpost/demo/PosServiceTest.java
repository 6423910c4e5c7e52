package io.outpost.demo;

import static io.outpost.demo.Clients.get;
import static io.outpost.demo.Clients.json;
import static io.outpost.demo.Clients.post;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sample service over real HTTP on loopback. */
class PosServiceTest {

    private static final InetSocketAddress ANY = new InetSocketAddress("127.0.0.1", 0);

    @TempDir
    Path dir;

    private PosService pos;

    @BeforeEach
    void start() throws Exception {
        pos = PosService.start("edge", ANY, dir);
    }

    @AfterEach
    void stop() throws Exception {
        pos.close();
    }

    private String url(String path) {
        return Clients.url(pos.address(), path);
    }

    @Test
    void recordsASaleWithItsDeliveryHeadersAndListsItPerTill() {
        HttpResponse<String> created = post(url("/pos/sales"), "{\"item\":\"apple\",\"qty\":2}",
                "X-Till", "till-1", "Idempotency-Key", "k1",
                "X-Original-Time", "2024-05-01T09:59:59.123Z", "X-Outpost-Delivery", "replay");
        post(url("/pos/sales"), "{\"item\":\"pear\",\"qty\":1}", "X-Till", "till-2");

        assertThat(created.statusCode()).isEqualTo(201);
        JsonNode sale = json(created);
        assertThat(sale.get("id").asLong()).isEqualTo(1);
        assertThat(sale.get("till").asText()).isEqualTo("till-1");
        assertThat(sale.get("item").asText()).isEqualTo("apple");
        assertThat(sale.get("qty").asInt()).isEqualTo(2);
        assertThat(sale.get("idempotencyKey").asText()).isEqualTo("k1");
        assertThat(sale.get("originalTime").asText()).isEqualTo("2024-05-01T09:59:59.123Z");
        assertThat(sale.get("delivery").asText()).isEqualTo("replay");

        JsonNode all = json(get(url("/pos/sales")));
        assertThat(all.get("instance").asText()).isEqualTo("edge");
        assertThat(all.get("count").asInt()).isEqualTo(2);
        JsonNode till2 = json(get(url("/pos/sales"), "X-Till", "till-2"));
        assertThat(till2.get("count").asInt()).isEqualTo(1);
        assertThat(till2.get("sales").get(0).get("item").asText()).isEqualTo("pear");
        assertThat(get(url("/health")).statusCode()).isEqualTo(200);
    }

    @Test
    void aRepeatedIdempotencyKeyAnswersTheOriginalSaleWithoutRecordingItTwice() {
        String[] headers = {"X-Till", "till-1", "Idempotency-Key", "k1"};
        HttpResponse<String> first = post(url("/pos/sales"), "{\"item\":\"apple\",\"qty\":2}", headers);
        HttpResponse<String> again = post(url("/pos/sales"), "{\"item\":\"apple\",\"qty\":2}", headers);
        HttpResponse<String> different = post(url("/pos/sales"), "{\"item\":\"apple\",\"qty\":9}", headers);

        assertThat(again.statusCode()).isEqualTo(201);
        assertThat(again.body()).isEqualTo(first.body());
        assertThat(again.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
        assertThat(different.statusCode()).isEqualTo(422);
        assertThat(pos.sales()).hasSize(1);
    }

    @Test
    void rejectsBadOrdersWithoutRecordingThem() {
        assertThat(post(url("/pos/sales"), "not json").statusCode()).isEqualTo(400);
        assertThat(post(url("/pos/sales"), "{\"qty\":1}").statusCode()).isEqualTo(400);
        assertThat(post(url("/pos/sales"), "{\"item\":\"apple\",\"qty\":0}").statusCode()).isEqualTo(400);
        assertThat(post(url("/pos/sales"), "{\"item\":\"apple\",\"qty\":1.5}").statusCode()).isEqualTo(400);
        assertThat(post(url("/pos/sales"), "{\"item\":\"" + "x".repeat(PosService.MAX_BODY) + "\",\"qty\":1}")
                .statusCode()).isEqualTo(413);
        assertThat(get(url("/pos/nothing")).statusCode()).isEqualTo(404);
        assertThat(pos.sales()).isEmpty();
    }

    @Test
    void reloadsItsSalesAfterARestart() throws Exception {
        post(url("/pos/sales"), "{\"item\":\"apple\",\"qty\":2}", "X-Till", "till-1", "Idempotency-Key", "k1");
        post(url("/pos/sales"), "{\"item\":\"pear\",\"qty\":1}", "X-Till", "till-1", "Idempotency-Key", "k2");
        String before = get(url("/pos/sales")).body();
        pos.close();

        pos = PosService.start("edge", ANY, dir);

        assertThat(get(url("/pos/sales")).body()).isEqualTo(before);
        HttpResponse<String> retry = post(url("/pos/sales"), "{\"item\":\"pear\",\"qty\":1}",
                "X-Till", "till-1", "Idempotency-Key", "k2");
        assertThat(json(retry).get("id").asLong()).isEqualTo(2);
        assertThat(pos.sales()).hasSize(2);
    }

    @Test
    void concurrentPostsAreAllRecordedAndDuplicatesOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<CompletableFuture<Integer>> statuses = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                String key = "k" + (i % 40); // 40 distinct keys, most sent more than once
                statuses.add(CompletableFuture.supplyAsync(() -> post(url("/pos/sales"),
                        "{\"item\":\"apple\",\"qty\":1}", "X-Till", "till-1", "Idempotency-Key", key).statusCode(), pool));
            }
            for (CompletableFuture<Integer> s : statuses) {
                assertThat(s.get(30, TimeUnit.SECONDS)).isEqualTo(201);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(pos.sales()).hasSize(40);
        assertThat(pos.sales()).extracting(Sale::idempotencyKey).doesNotHaveDuplicates();
    }

    @Test
    void twoInstancesWithTheSameSalesInTheSameOrderShowTheSameDigest(@TempDir Path other) throws Exception {
        try (PosService cloud = PosService.start("cloud", ANY, other)) {
            for (PosService p : List.of(pos, cloud)) {
                for (String key : List.of("k1", "k2")) {
                    post(Clients.url(p.address(), "/pos/sales"), "{\"item\":\"apple\",\"qty\":1}",
                            "X-Till", "till-1", "Idempotency-Key", key);
                }
            }
            // The same two sales, in the other order, on till-2 only of the cloud.
            post(Clients.url(cloud.address(), "/pos/sales"), "{\"item\":\"a\",\"qty\":1}", "X-Till", "till-2", "Idempotency-Key", "x2");
            post(Clients.url(cloud.address(), "/pos/sales"), "{\"item\":\"a\",\"qty\":1}", "X-Till", "till-2", "Idempotency-Key", "x1");
            post(url("/pos/sales"), "{\"item\":\"a\",\"qty\":1}", "X-Till", "till-2", "Idempotency-Key", "x1");
            post(url("/pos/sales"), "{\"item\":\"a\",\"qty\":1}", "X-Till", "till-2", "Idempotency-Key", "x2");

            JsonNode edgeTills = json(get(url("/pos/summary"))).get("tills");
            JsonNode cloudTills = json(get(Clients.url(cloud.address(), "/pos/summary"))).get("tills");
            assertThat(cloudTills.get("till-1")).isEqualTo(edgeTills.get("till-1"));
            assertThat(cloudTills.get("till-2").get("sales")).isEqualTo(edgeTills.get("till-2").get("sales"));
            assertThat(cloudTills.get("till-2").get("digest")).isNotEqualTo(edgeTills.get("till-2").get("digest"));
        }
    }
}
