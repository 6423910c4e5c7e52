package io.outpost.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.tls.TestPki;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The replicated service end to end on loopback: delivery headers, bad input, retries, divergence, failover. */
class ReplicatedServiceTest extends HarnessTest {

    @Test
    void writeGoesLiveToTheServingReplicaAndShadowToTheOtherWithItsOriginalTime() throws Exception {
        h = new Harness(dir).start();
        long before = System.currentTimeMillis();
        HttpResponse<String> r = h.post("till-1", "/sales", "sale-1", null);

        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(r.headers().firstValue("X-Replica")).hasValue("cloud");
        await().atMost(Duration.ofSeconds(5)).until(() -> h.edge.received().size() == 1);
        ReplicaServer.Received live = h.cloud.received().get(0);
        ReplicaServer.Received shadow = h.edge.received().get(0);
        assertThat(live.kind()).isEqualTo("live");
        assertThat(shadow.kind()).isEqualTo("shadow");
        assertThat(shadow.key()).isEqualTo(live.key()).isNotBlank();                    // G4: one key everywhere
        assertThat(shadow.originalTime()).isEqualTo(live.originalTime())               // G6: the receipt time
                .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
        long at = Instant.parse(live.originalTime()).toEpochMilli();
        assertThat(at).isBetween(before - 1000, System.currentTimeMillis());
        assertThat(shadow.body()).isEqualTo("sale-1");
    }

    @Test
    void writeWithoutSessionKeyIs400AndTooLargeIs413() throws Exception {
        h = new Harness(dir).start("        maxBodySize: 100");
        HttpResponse<String> noKey = h.post(null, "/sales", "x", null);
        assertThat(noKey.statusCode()).isEqualTo(400);
        assertThat(noKey.body()).contains("session key").contains("header X-Till");
        assertThat(h.cloud.received()).isEmpty();
        HttpResponse<String> big = h.post("t", "/sales", "x".repeat(2000), null);
        assertThat(big.statusCode()).isEqualTo(413);
        assertThat(h.cloud.received()).isEmpty();
    }

    @Test
    void retryWithTheSameKeyDuringAndAfterTheOriginalGetsTheOriginalAnswerAndRunsOnce() throws Exception {
        h = new Harness(dir).start();
        h.cloud.slow("till-r", 600);
        CompletableFuture<HttpResponse<String>> original = CompletableFuture.supplyAsync(() -> call(() ->
                h.post("till-r", "/sales", "sale-r", "key-r")));
        await().atMost(Duration.ofSeconds(5)).until(() -> h.cloud.inProgress() == 1);   // the original is at the cloud
        HttpResponse<String> during = h.post("till-r", "/sales", "sale-r", "key-r");
        HttpResponse<String> first = original.get();
        HttpResponse<String> after = h.post("till-r", "/sales", "sale-r", "key-r");

        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(during.statusCode()).isEqualTo(201);
        assertThat(during.body()).isEqualTo(first.body());
        assertThat(after.statusCode()).isEqualTo(201);
        assertThat(after.body()).isEqualTo(first.body());
        assertThat(after.headers().firstValue("X-Replica")).hasValue("cloud");
        await().atMost(Duration.ofSeconds(5)).until(() -> h.edge.received().size() == 1);
        assertThat(h.cloud.receivedBodies("till-r")).containsExactly("sale-r");   // executed once
        assertThat(h.edge.receivedBodies("till-r")).containsExactly("sale-r");
    }

    /** The API shows each replica's priority as configured, and a reload's new one, as writes follow it. */
    @Test
    void eachReplicaShowsItsPriorityAndAReloadsNewOne() throws Exception {
        h = new Harness(dir);
        String priorities = h.yaml("").replace("priority: 0", "priority: 5").replace("priority: 1", "priority: 12");
        java.nio.file.Files.writeString(h.file, priorities);
        h.gateway = io.outpost.runtime.Gateway.start(h.file, h.options);
        assertThat(h.replica("cloud").get("priority").isInt()).isTrue();
        assertThat(h.replica("cloud").get("priority").asInt()).isEqualTo(5);
        assertThat(h.replica("edge").get("priority").asInt()).isEqualTo(12);
        assertThat(h.post("till-p", "/sales", "p1", null).headers().firstValue("X-Replica")).hasValue("cloud");

        java.nio.file.Files.writeString(h.file, priorities.replace("priority: 12", "priority: 2"));
        await().atMost(Duration.ofSeconds(10)).until(() -> h.replica("edge").get("priority").asInt() == 2);
        assertThat(h.replica("cloud").get("priority").asInt()).isEqualTo(5);
        // The edge takes the session's writes once it holds all of them (G5).
        await().atMost(Duration.ofSeconds(5)).until(() -> h.edge.receivedBodies("till-p").contains("p1")
                && h.replica("edge").get("backlog").asLong() == 0);
        assertThat(h.post("till-p", "/sales", "p2", null).headers().firstValue("X-Replica")).hasValue("edge");
    }

    @Test
    void divergentAnswersAreCountedAndShown() throws Exception {
        h = new Harness(dir).start();
        h.edge.reject("/sales/dup");
        assertThat(h.post("till-d", "/sales/ok", "fine", null).statusCode()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(5)).until(() -> h.edge.received().size() == 1);
        assertThat(h.service().get("divergences")).isEmpty();

        assertThat(h.post("till-d", "/sales/dup", "dup", null).statusCode()).isEqualTo(201);   // the cloud's answer
        await().atMost(Duration.ofSeconds(5)).until(() -> h.service().get("divergences").size() == 1);
        var d = h.service().get("divergences").get(0);
        assertThat(d.get("session").asText()).isEqualTo("till-d");
        assertThat(d.get("statuses").get("cloud").asInt()).isEqualTo(201);
        assertThat(d.get("statuses").get("edge").asInt()).isEqualTo(409);
        assertThat(d.get("sequence").asLong()).isEqualTo(2);
        assertThat(h.gateway.metrics().scrape())
                .contains("outpost_replication_divergences_total{replica=\"edge\",service=\"pos\"} 1.0")
                .contains("outpost_replication_divergences_total{replica=\"cloud\",service=\"pos\"} 0.0");
    }

    @Test
    void aHangingReplicaFailsOverAfterTheResponseHeaderTimeoutARefusingOneAtOnce() throws Exception {
        h = new Harness(dir).start();
        h.cloud.down();
        long t0 = System.nanoTime();
        HttpResponse<String> refused = h.post("till-h", "/sales", "a", null);
        long refusedMillis = (System.nanoTime() - t0) / 1_000_000;
        assertThat(refused.statusCode()).isEqualTo(201);
        assertThat(refused.headers().firstValue("X-Replica")).hasValue("edge");    // G5: the secondary's answer
        assertThat(refusedMillis).isLessThan(600);

        h.cloud.up();
        await().atMost(Duration.ofSeconds(10)).until(() -> h.cloud.receivedBodies("till-h").size() == 1);
        assertThat(h.cloud.received().get(0).kind()).isEqualTo("replay");
        h.cloud.hang(true);
        long t1 = System.nanoTime();
        HttpResponse<String> hung = h.post("till-g", "/sales", "b", null);
        long hungMillis = (System.nanoTime() - t1) / 1_000_000;
        assertThat(hung.statusCode()).isEqualTo(201);
        assertThat(hung.headers().firstValue("X-Replica")).hasValue("edge");
        assertThat(hungMillis).isGreaterThanOrEqualTo(650);                     // the 700 ms timeout ran out
        assertThat(h.edge.receivedBodies("till-g")).containsExactly("b");
    }

    @Test
    void noReplicaReachedIs503AndTheWriteIsNeverReplayed() throws Exception {
        h = new Harness(dir).start();
        h.cloud.down();
        h.edge.down();
        HttpResponse<String> r = h.post("till-x", "/sales", "lost", null);
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).contains("no replica of pos could take the write").contains("cloud:").contains("edge:");
        h.cloud.up();
        h.edge.up();
        assertThat(h.post("till-x", "/sales", "next", null).statusCode()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(10)).until(() -> h.edge.receivedBodies("till-x").size() == 1);
        assertThat(h.cloud.receivedBodies("till-x")).containsExactly("next");
        assertThat(h.edge.receivedBodies("till-x")).containsExactly("next");
    }

    @Test
    void aRetryWithTheSameKeyAfterA503IsRunNotRefusedAsAlreadyAccepted() throws Exception {
        h = new Harness(dir).start();
        h.cloud.down();
        h.edge.down();
        HttpResponse<String> first = h.post("till-k", "/sales", "sale-k", "key-k");
        assertThat(first.statusCode()).isEqualTo(503);   // aborted: "it was not applied"
        h.cloud.up();
        h.edge.up();
        HttpResponse<String> retry = h.post("till-k", "/sales", "sale-k", "key-k");
        assertThat(retry.statusCode()).as(retry.body()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(10)).until(() -> h.edge.receivedBodies("till-k").size() == 1);
        assertThat(h.cloud.receivedBodies("till-k")).containsExactly("sale-k");
    }

    @Test
    void replicaNamedByHostNameIsResolvedAndReached() throws Exception {
        h = new Harness(dir);
        h.cloudUrl = h.cloud.url("localhost");
        h.start();
        assertThat(h.post("till-h", "/sales", "sale-h", null).statusCode()).isEqualTo(201);
        assertThat(h.cloud.receivedBodies("till-h")).containsExactly("sale-h");
        await().atMost(Duration.ofSeconds(5)).until(() -> h.edge.receivedBodies("till-h").size() == 1);
    }

    @Test
    void replicaWhoseHostDoesNotResolveIsNamedInThe503() throws Exception {
        h = new Harness(dir);
        h.edgeUrl = "http://replica.invalid:8080"; // .invalid never resolves (RFC 6761)
        h.start();
        h.cloud.down();
        HttpResponse<String> r = h.post("till-u", "/sales", "lost", null);
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).contains("edge: cannot resolve the host");
    }

    /** A harness whose cloud replica speaks https, with a certificate for {@code name} from a new CA; returns the CA. */
    private TestPki.Issued harnessWithHttpsCloud(String name) throws Exception {
        TestPki.Issued ca = TestPki.ca(dir, "replica-ca");
        h = new Harness(dir, TestPki.context(List.of(ca.cert()), TestPki.leaf(dir, "cloud", ca, name)));
        return ca;
    }

    @Test
    void httpsReplicaTakesWritesAndReadsOverTlsVerifiedAgainstTheConfiguredCa() throws Exception {
        TestPki.Issued ca = harnessWithHttpsCloud("cloud.internal");
        h.start("        tls: { caFiles: [\"" + ca.certFile() + "\"], serverName: cloud.internal }");

        HttpResponse<String> write = h.post("till-t", "/sales", "sale-t", null);
        assertThat(write.statusCode()).isEqualTo(201);
        assertThat(write.headers().firstValue("X-Replica")).hasValue("cloud");
        assertThat(h.cloud.receivedBodies("till-t")).containsExactly("sale-t");
        await().atMost(Duration.ofSeconds(5)).until(() -> h.edge.receivedBodies("till-t").size() == 1);
        HttpResponse<String> read = h.get("till-t", "/state");
        assertThat(read.headers().firstValue("X-Replica")).hasValue("cloud");
        assertThat(read.body()).isEqualTo("1");
    }

    @Test
    void httpsReplicaWhoseCertificateIsNotTrustedIsNotReached() throws Exception {
        harnessWithHttpsCloud("localhost");
        h.start(); // no tls: the JDK's trust store, which does not hold this CA

        HttpResponse<String> write = h.post("till-n", "/sales", "sale-n", null);
        assertThat(write.statusCode()).isEqualTo(201);
        assertThat(write.headers().firstValue("X-Replica")).hasValue("edge");
        assertThat(h.cloud.received()).isEmpty();
    }

    @Test
    void writesOwedToAnHttpsReplicaAreReplayedOnceAReloadTrustsItsCa() throws Exception {
        TestPki.Issued ca = harnessWithHttpsCloud("localhost");
        h.cloudUrl = h.cloud.url("localhost");
        h.start(); // the JDK's trust store: the cloud's handshakes fail
        assertThat(h.post("till-r", "/sales", "sale-1", null).headers().firstValue("X-Replica")).hasValue("edge");
        assertThat(h.cloud.received()).isEmpty();

        java.nio.file.Files.writeString(h.file, h.yaml("        tls: { caFiles: [\"" + ca.certFile() + "\"] }"));
        await().atMost(Duration.ofSeconds(10)).until(() -> h.cloud.receivedBodies("till-r").size() == 1);
        assertThat(h.cloud.received().get(0).kind()).isEqualTo("replay");
        assertThat(h.post("till-r", "/sales", "sale-2", null).statusCode()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(5)).until(() -> h.cloud.receivedBodies("till-r").size() == 2);
        assertThat(h.cloud.receivedBodies("till-r")).containsExactly("sale-1", "sale-2");
        assertThat(h.edge.receivedBodies("till-r")).containsExactly("sale-1", "sale-2");
    }

    @Test
    void pausedReplicaGetsNothingAndDoesNotServeUntilResumed() throws Exception {
        h = new Harness(dir).start();
        assertThat(h.admin("GET", "/api/services/pos/replicas/cloud/pause").statusCode()).isEqualTo(405);
        assertThat(h.admin("POST", "/api/services/pos/replicas/nope/pause").statusCode()).isEqualTo(404);
        HttpResponse<String> paused = h.admin("POST", "/api/services/pos/replicas/cloud/pause");
        assertThat(paused.statusCode()).isEqualTo(200);
        assertThat(h.replica("cloud").get("paused").asBoolean()).isTrue();
        for (int i = 0; i < 3; i++) {
            assertThat(h.post("till-p", "/sales", "p" + i, null).headers().firstValue("X-Replica")).hasValue("edge");
        }
        assertThat(h.cloud.received()).isEmpty();
        // A client is answered once its entry is durable and a replica answered; the commit that puts
        // the entry in the cloud's backlog becomes durable just after.
        await().atMost(Duration.ofSeconds(5)).until(() -> h.replica("cloud").get("backlog").asLong() == 3);
        assertThat(h.replica("cloud").get("state").asText()).isEqualTo("catching-up");
        assertThat(h.replica("edge").get("state").asText()).isEqualTo("in-sync");
        assertThat(h.gateway.metrics().scrape()).contains("outpost_replication_backlog{replica=\"cloud\",service=\"pos\"} 3.0")
                .contains("outpost_journal_appends_total{service=\"pos\"} 3.0");
        h.admin("POST", "/api/services/pos/replicas/cloud/resume");
        await().atMost(Duration.ofSeconds(10)).until(() -> h.cloud.receivedBodies("till-p").size() == 3);
        assertThat(h.cloud.receivedBodies("till-p")).containsExactly("p0", "p1", "p2");
        await().atMost(Duration.ofSeconds(5)).until(() -> h.get("till-p", "/state").headers()
                .firstValue("X-Replica").orElse("").equals("cloud"));
        assertThat(h.gateway.metrics().scrape()).contains(
                "outpost_replication_deliveries_total{kind=\"shadow\",outcome=\"2xx\",replica=\"cloud\",service=\"pos\"} 3.0");
    }

    @Test
    void unwritableJournalDirectoryRefusesWritesWith503ButServesReads() throws Exception {
        h = new Harness(dir);
        java.nio.file.Files.writeString(dir.resolve("journal"), "a file where the directory should be");
        h.start();
        HttpResponse<String> w = h.post("t", "/sales", "x", null);
        assertThat(w.statusCode()).isEqualTo(503);
        assertThat(w.body()).contains("journal is unavailable");
        assertThat(h.get("t", "/state").statusCode()).isEqualTo(200);
        assertThat(h.cloud.received()).isEmpty();
    }

    interface Call<T> {
        T run() throws Exception;
    }

    static <T> T call(Call<T> c) {
        try {
            return c.run();
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    static List<String> bodies(int n, String prefix) {
        return java.util.stream.IntStream.range(0, n).mapToObj(i -> prefix + i).toList();
    }
}
