package io.outpost.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.config.ServiceConfig;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A replicated service across configuration reloads: what a reload changes takes effect, the journal stays usable. */
class ServiceReloadTest {

    @TempDir
    Path dir;

    private Harness h;

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    private void reload(String yaml) throws Exception {
        Path tmp = dir.resolve("next.yaml");
        Files.writeString(tmp, yaml);
        Files.move(tmp, h.file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private ServiceConfig.Replicated posConfig() {
        return (ServiceConfig.Replicated) h.gateway.runtime().config().http().services().get("pos");
    }

    @Test
    void aServiceRemovedAndAddedBackBeforeTheOldOneIsRetiredStillTakesWrites() throws Exception {
        h = new Harness(dir).start();
        assertThat(h.post("till-1", "/sales", "before", null).statusCode()).isEqualTo(201);

        reload("""
                entryPoints:
                  web: { address: "127.0.0.1:%d" }
                admin: { address: "127.0.0.1:%d" }
                journal: { dir: "%s" }
                http:
                  routers:
                    pos: { rule: "PathPrefix(`/`)", service: plain }
                  services:
                    plain:
                      loadBalancer: { endpoints: [ { url: "%s" } ] }
                """.formatted(h.port, h.adminPort, dir.resolve("journal"), h.edgeUrl));
        await().atMost(Duration.ofSeconds(10)).until(() -> !h.gateway.runtime().services().containsKey("pos"));
        reload(h.yaml(""));   // back, well within the 30 s the removed snapshot keeps running
        await().atMost(Duration.ofSeconds(10)).until(() -> h.gateway.runtime().services().containsKey("pos"));

        HttpResponse<String> after = h.post("till-1", "/sales", "after", null);
        assertThat(after.statusCode()).as(after.body()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(5)).until(() -> h.edge.receivedBodies("till-1").contains("after"));
        assertThat(h.cloud.receivedBodies("till-1")).containsExactly("before", "after");
    }

    @Test
    void aGatewayStoppedSoonAfterAReloadClosesTheJournal() throws Exception {
        h = new Harness(dir).start();
        reload(h.yaml("        maxBodySize: 1000"));
        await().atMost(Duration.ofSeconds(10)).until(() -> posConfig().maxBodySize() == 1000);
        h.gateway.close();
        h.gateway = null;

        // The replaced snapshot held the journal too; it must not stay open (and locked) after the stop.
        try (var journal = io.outpost.journal.embedded.EmbeddedJournal.open(io.outpost.journal.embedded.JournalOptions
                .builder(dir.resolve("journal").resolve("pos")).replicas("cloud", "edge").build())) {
            assertThat(journal.backlog("cloud")).isZero();
        }
    }
}
