package io.outpost.middleware.auth;

import io.outpost.testing.Ports;
import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.runtime.Gateway;
import io.outpost.testing.Backend;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A router's {@code allow} list and a quota, wired by the runtime builder from a configuration file. */
class RouterAllowGatewayTest {

    @TempDir
    Path dir;


    @Test
    void allowRunsAfterTheRoutersAuthenticationAndQuotaCountsGoUnderTheJournal() throws Exception {
        int port = Ports.free();
        int admin = Ports.free();
        Path file = dir.resolve("outpost.yaml");
        try (Backend inventory = Backend.start("inventory")) {
            Files.writeString(file, """
                    entryPoints:
                      web: { address: "127.0.0.1:%d" }
                    admin: { address: "127.0.0.1:%d" }
                    accessLog: { enabled: false }
                    journal: { dir: "%s" }
                    http:
                      routers:
                        writes:
                          rule: "PathPrefix(`/inventory`)"
                          service: inventory
                          middlewares: [keys, daily]
                          allow: [pos]
                      middlewares:
                        keys: { apiKey: { keys: [ { consumer: pos, sha256: "%s" }, { consumer: web, sha256: "%s" } ] } }
                        daily: { quota: { limit: 1000 } }
                      services:
                        inventory: { loadBalancer: { endpoints: [ { url: "%s" } ] } }
                    """.formatted(port, admin, dir.resolve("journal"), SecurityFixture.sha256("pos-key"),
                    SecurityFixture.sha256("web-key"), inventory.url()));
            Gateway gateway = Gateway.start(file, Gateway.Options.defaults().workers(1));
            try {
                HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                URI uri = URI.create("http://127.0.0.1:" + port + "/inventory/42");
                assertThat(client.send(HttpRequest.newBuilder(uri).header("X-API-Key", "pos-key").build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
                assertThat(client.send(HttpRequest.newBuilder(uri).header("X-API-Key", "web-key").build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(403);
                assertThat(client.send(HttpRequest.newBuilder(uri).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
                assertThat(inventory.hits()).isEqualTo(1);
                assertThat(Files.isDirectory(dir.resolve("journal").resolve("quota"))).isTrue();
            } finally {
                gateway.close();
            }
        }
    }
}
