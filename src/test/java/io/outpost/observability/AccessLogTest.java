package io.outpost.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.runtime.Gateway;
import io.outpost.testing.Backend;
import io.outpost.testing.RawHttp;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One JSON line per request, with the fields an operator looks for, in the configured file. */
class AccessLogTest {

    @TempDir
    Path dir;

    @Test
    void writesOneJsonLinePerRequest() throws Exception {
        Path log = dir.resolve("access.log");
        int port = freePort();
        try (Backend backend = Backend.start("b")) {
            Path config = dir.resolve("outpost.yaml");
            Files.writeString(config, """
                    entryPoints:
                      web: { address: "127.0.0.1:%d" }
                    admin: { address: "127.0.0.1:%d" }
                    accessLog: { format: json, path: "%s" }
                    http:
                      routers:
                        api: { rule: "PathPrefix(`/api`)", service: b }
                      services:
                        b:
                          loadBalancer: { endpoints: [ { url: "%s" } ] }
                    """.formatted(port, freePort(), log, backend.url()));
            try (Gateway gateway = Gateway.start(config, Gateway.Options.defaults().workers(1));
                 RawHttp raw = new RawHttp(port)) {
                raw.send("POST /api/sales?x=1 HTTP/1.1\r\nHost: shop\r\nX-Request-Id: rid-7\r\nContent-Length: 3\r\n\r\nabc");
                assertThat(raw.read().status()).isEqualTo(200);
                raw.send("GET /nowhere HTTP/1.1\r\nHost: shop\r\n\r\n");
                assertThat(raw.read().status()).isEqualTo(404);
                await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(log) && Files.readAllLines(log).size() == 2);
            }
            List<String> lines = Files.readAllLines(log);
            ObjectMapper json = new ObjectMapper();
            JsonNode first = json.readTree(lines.get(0));
            assertThat(first.get("method").asText()).isEqualTo("POST");
            assertThat(first.get("path").asText()).isEqualTo("/api/sales");
            assertThat(first.get("status").asInt()).isEqualTo(200);
            assertThat(first.get("request_id").asText()).isEqualTo("rid-7");
            assertThat(first.get("router").asText()).isEqualTo("api");
            assertThat(first.get("service").asText()).isEqualTo("b");
            assertThat(first.get("upstream").asText()).isEqualTo("http://127.0.0.1:" + backend.port());
            assertThat(first.get("request_bytes").asLong()).isEqualTo(3);
            assertThat(first.get("response_bytes").asLong()).isPositive();
            assertThat(first.get("duration_ms").asDouble()).isGreaterThanOrEqualTo(0);
            JsonNode second = json.readTree(lines.get(1));
            assertThat(second.get("status").asInt()).isEqualTo(404);
            assertThat(second.get("router").asText()).isEmpty();
        }
    }

    @Test
    void keepsWritingLinesAfterAnAccessLogAddedByAReloadIsFollowedByAnotherReload() throws Exception {
        Path log = dir.resolve("access.log");
        int port = freePort();
        int admin = freePort();
        try (Backend backend = Backend.start("b")) {
            Path config = dir.resolve("outpost.yaml");
            String routers = """
                    http:
                      routers:
                        api: { rule: "PathPrefix(`/api`)", service: b }
                    %s
                      services:
                        b:
                          loadBalancer: { endpoints: [ { url: "%s" } ] }
                    """;
            String head = """
                    entryPoints:
                      web: { address: "127.0.0.1:%d" }
                    admin: { address: "127.0.0.1:%d" }
                    """.formatted(port, admin);
            Files.writeString(config, head + routers.formatted("", backend.url()));
            try (Gateway gateway = Gateway.start(config, Gateway.Options.defaults().workers(1))) {
                // First reload: the operator adds an access log.
                String withLog = head + "accessLog: { format: json, path: \"" + log + "\" }\n";
                Files.writeString(config, withLog + routers.formatted("", backend.url()));
                await().atMost(Duration.ofSeconds(10)).until(() -> gateway.runtime().config().accessLog().enabled());
                try (RawHttp raw = new RawHttp(port)) {
                    raw.send("GET /api/one HTTP/1.1\r\nHost: shop\r\n\r\n");
                    assertThat(raw.read().status()).isEqualTo(200);
                }
                await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(log) && Files.readAllLines(log).size() == 1);
                var writer = gateway.context().accessLog();

                // Second reload: an unrelated change (one more router); the access log section is the same.
                Files.writeString(config, withLog + routers.formatted(
                        "    more: { rule: \"PathPrefix(`/more`)\", service: b }", backend.url()));
                await().atMost(Duration.ofSeconds(10)).until(() -> gateway.runtime().config().http().routers().size() == 2);
                assertThat(gateway.context().accessLog()).as("the same section keeps its writer").isSameAs(writer);
                try (RawHttp raw = new RawHttp(port)) {
                    raw.send("GET /api/two HTTP/1.1\r\nHost: shop\r\n\r\n");
                    assertThat(raw.read().status()).isEqualTo(200);
                }
                await().atMost(Duration.ofSeconds(5)).until(() -> Files.readAllLines(log).size() == 2);
            }
            assertThat(Files.readAllLines(log).get(1)).contains("\"path\":\"/api/two\"");
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
