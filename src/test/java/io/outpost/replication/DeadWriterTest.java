package io.outpost.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A replicated service whose journal writer dies while writes and deliveries are under way: the failure is
 * logged once, shown by {@code /ready} and counted, nothing is retried against the dead journal, and the
 * next configuration reload opens the journal again.
 */
class DeadWriterTest {

    @TempDir
    Path dir;

    private Harness h;
    private final Logger replicationLog = (Logger) LoggerFactory.getLogger("io.outpost.replication");
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

    @BeforeEach
    void captureLog() {
        logged.start();
        replicationLog.addAppender(logged);
    }

    @AfterEach
    void stop() {
        replicationLog.detachAppender(logged);
        if (h != null) {
            h.close();
        }
    }

    @Test
    void aDeadWriterIsLoggedOnceShownByReadyAndCountedAndAReloadOpensTheJournalAgain() throws Exception {
        h = new Harness(dir).start();
        // w0 (till-y) is committed but owed to the edge, paused; w1's live delivery (till-x) is under way when the
        // writer dies, so its settle record is refused.
        assertThat(h.admin("POST", "/api/services/pos/replicas/edge/pause").statusCode()).isEqualTo(200);
        assertThat(h.post("till-y", "/sales", "w0", null).statusCode()).isEqualTo(201);
        h.cloud.slow("till-x", 500);
        CompletableFuture<HttpResponse<String>> w1 = CompletableFuture.supplyAsync(() -> post("till-x", "w1"));
        await().pollInterval(Duration.ofMillis(10)).atMost(Duration.ofSeconds(5)).until(() -> h.cloud.inProgress() == 1);

        writerThread().interrupt();   // the writer dies; every later journal write is refused

        assertThat(w1.get(10, TimeUnit.SECONDS).statusCode()).as("answered before its settle record").isEqualTo(201);
        await().atMost(Duration.ofSeconds(5)).until(() -> h.admin("GET", "/ready").statusCode() == 503);
        assertThat(h.admin("GET", "/ready").body()).contains("service pos: its journal is unavailable")
                .contains("the writer stopped (its thread was interrupted)");
        HttpResponse<String> refused = h.post("till-x", "/sales", "w2", null);
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.body()).contains("the writer stopped");
        assertThat(h.service().get("journal").get("status").asText()).isEqualTo("unavailable");

        // The settle record would be retried at 100 ms doubling, each retry logged; and the edge, resumed, would
        // be sent w0 again and again, since its answer cannot be recorded. Neither happens.
        assertThat(h.admin("POST", "/api/services/pos/replicas/edge/resume").statusCode()).isEqualTo(200);
        await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3)).until(() ->
                errorsAbout("the writer stopped") == 1 && h.edge.received().isEmpty());
        assertThat(failedWrites()).as("w1's settle record, refused once and not retried").isEqualTo(1);

        h.cloud.slow(null, 0);
        reload(h.yaml("        maxBodySize: 1000"));
        await().atMost(Duration.ofSeconds(10)).until(() -> h.admin("GET", "/ready").statusCode() == 200);
        HttpResponse<String> w3 = h.post("till-x", "/sales", "w3", null);
        assertThat(w3.statusCode()).as(w3.body()).isEqualTo(201);
        // w1 came back in doubt, was committed and reached both replicas before w3; what could not be recorded
        // was delivered again with the same Idempotency-Key, which the replicas drop.
        await().atMost(Duration.ofSeconds(10)).until(() -> List.of("w1", "w3").equals(h.edge.state().get("till-x"))
                && List.of("w1", "w3").equals(h.cloud.state().get("till-x"))
                && List.of("w0").equals(h.edge.state().get("till-y")));
        for (ReplicaServer replica : List.of(h.cloud, h.edge)) {
            assertThat(replica.received().stream().filter(r -> r.body().equals("w1")).map(ReplicaServer.Received::key)
                    .distinct()).hasSize(1);
        }
    }

    @Test
    void aWriteWhoseAbortTheDeadWriterRefusedIsNotAnsweredAsFailedSinceItIsDeliveredAfterTheReload() throws Exception {
        h = new Harness(dir).start();
        // The edge is paused, so the cloud is w1's only replica; it answers 503 (not reached) after 500 ms, during
        // which the writer dies: w1 is journaled, no replica processed it, and its abort record is refused.
        assertThat(h.admin("POST", "/api/services/pos/replicas/edge/pause").statusCode()).isEqualTo(200);
        h.cloud.reject("/sales", 503);
        h.cloud.slow("till-x", 500);
        CompletableFuture<HttpResponse<String>> pending = CompletableFuture.supplyAsync(() -> post("till-x", "w1"));
        await().pollInterval(Duration.ofMillis(10)).atMost(Duration.ofSeconds(5))
                .until(() -> h.cloud.inProgress() == 1);
        writerThread().interrupt();
        HttpResponse<String> w1 = pending.get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(5)).until(() -> h.admin("GET", "/ready").statusCode() == 503);
        assertThat(h.cloud.state().get("till-x")).as("applied by the cloud").isNull();

        // The next reload opens the journal again: w1 is in doubt (nothing durable says it was aborted), is
        // committed, and reaches both replicas, before w2.
        h.cloud.slow(null, 0);
        h.cloud.acceptAll();
        reload(h.yaml("        maxBodySize: 1000"));
        await().atMost(Duration.ofSeconds(10)).until(() -> h.admin("GET", "/ready").statusCode() == 200);
        assertThat(h.post("till-x", "/sales", "w2", null).statusCode()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(10)).until(() -> List.of("w1", "w2").equals(h.cloud.state().get("till-x"))
                && List.of("w1", "w2").equals(h.edge.state().get("till-x")));

        // So the client must not have been told that w1 failed: it was told it is journaled and will be delivered,
        // with the key a retry can ask about it with.
        assertThat(w1.statusCode()).as("w1's answer (%s), while every replica received w1", w1.body()).isEqualTo(202);
        assertThat(w1.body()).contains("will be delivered to every replica");
        String key = w1.headers().firstValue("Idempotency-Key").orElseThrow();
        assertThat(h.cloud.received().stream().filter(r -> r.body().equals("w1")).map(ReplicaServer.Received::key))
                .containsOnly(key);
        assertThat(h.post("till-x", "/sales", "w1", key).statusCode()).as("a retry with its key").isEqualTo(409);
        assertThat(h.cloud.state().get("till-x")).containsExactly("w1", "w2");
    }

    private HttpResponse<String> post(String session, String body) {
        try {
            return h.post(session, "/sales", body, null);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Thread writerThread() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("journal-writer-pos"))
                .findFirst().orElseThrow(() -> new AssertionError("no journal writer thread for pos"));
    }

    private long errorsAbout(String text) {
        return logged.list.stream().filter(e -> e.getLevel() == Level.ERROR)
                .filter(e -> e.getFormattedMessage().contains(text)).count();
    }

    private double failedWrites() throws Exception {
        Matcher m = Pattern.compile("outpost_journal_failed_writes_total\\{service=\"pos\"} (\\S+)")
                .matcher(h.admin("GET", "/metrics").body());
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    private void reload(String yaml) throws Exception {
        Path tmp = dir.resolve("next.yaml");
        Files.writeString(tmp, yaml);
        Files.move(tmp, h.file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
