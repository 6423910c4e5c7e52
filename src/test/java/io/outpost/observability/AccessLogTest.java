package io.outpost.observability;

import io.outpost.testing.Ports;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.proxy.AccessLog;
import io.outpost.runtime.Gateway;
import io.outpost.testing.Backend;
import io.outpost.testing.RawHttp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
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
        int port = Ports.free();
        try (Backend backend = Backend.start("b")) {
            Path config = dir.resolve("outpost.yaml");
            Files.writeString(config, jsonLogConfig(port, log, backend));
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
    void requestsRefusedAsMalformedGetALineToo() throws Exception {
        Path log = dir.resolve("access.log");
        int port = Ports.free();
        try (Backend backend = Backend.start("b")) {
            Path config = dir.resolve("outpost.yaml");
            Files.writeString(config, jsonLogConfig(port, log, backend));
            try (Gateway gateway = Gateway.start(config, Gateway.Options.defaults().workers(1))) {
                List<String> requests = List.of(
                        "GARBAGE\r\n\r\n",
                        "GET /" + "a".repeat(9000) + " HTTP/1.1\r\nHost: shop\r\n\r\n",
                        "GET /api/x?y=1 HTTP/1.1\r\nHost: a b\r\nX-Request-Id: rid-9\r\n\r\n");
                for (String request : requests) {
                    try (RawHttp raw = new RawHttp(port)) {
                        raw.send(request);
                        assertThat(raw.read().status()).isIn(400, 414);
                    }
                }
                await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(log) && Files.readAllLines(log).size() == 3);
            }
            List<String> lines = Files.readAllLines(log);
            ObjectMapper json = new ObjectMapper();
            JsonNode garbage = json.readTree(lines.get(0));
            assertThat(garbage.get("status").asInt()).isEqualTo(400);
            assertThat(garbage.get("client_ip").asText()).isEqualTo("127.0.0.1");
            for (String unknown : List.of("method", "host", "path", "request_id", "router", "service", "upstream")) {
                assertThat(garbage.get(unknown).asText()).as(unknown).isEmpty();
            }
            assertThat(garbage.get("request_bytes").asLong()).isZero();
            assertThat(garbage.get("response_bytes").asLong()).isPositive();
            assertThat(garbage.get("duration_ms").asDouble()).isGreaterThanOrEqualTo(0);
            assertThat(json.readTree(lines.get(1)).get("status").asInt()).isEqualTo(414);
            JsonNode badHost = json.readTree(lines.get(2));
            assertThat(badHost.get("status").asInt()).isEqualTo(400);
            assertThat(badHost.get("method").asText()).isEqualTo("GET");
            assertThat(badHost.get("path").asText()).isEqualTo("/api/x");
            assertThat(badHost.get("request_id").asText()).isEqualTo("rid-9");
            assertThat(badHost.get("router").asText()).isEmpty();
            assertThat(backend.hits()).isZero();
        }
    }

    @Test
    void requestsRefusedAfterTheirRequestLineWasReadAreLoggedWithMethodAndPath() throws Exception {
        Path log = dir.resolve("access.log");
        int port = Ports.free();
        try (Backend backend = Backend.start("b")) {
            Path config = dir.resolve("outpost.yaml");
            Files.writeString(config, jsonLogConfig(port, log, backend));
            List<String> requests = List.of(
                    "GET /api/big?q=1 HTTP/1.1\r\nHost: shop\r\nX-Fill: " + "f".repeat(17_000) + "\r\n\r\n",
                    "POST /api/two-lengths HTTP/1.1\r\nHost: shop\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
                    "PUT /api/both?v=2 HTTP/1.1\r\nHost: shop\r\nContent-Length: 1\r\n"
                            + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                    "DELETE /api/bad-field HTTP/1.1\r\nHost: shop\r\nBad Field: 1\r\n\r\n",
                    "PATCH /api/coded?z=3 HTTP/1.1\r\nHost: shop\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
                    "GET /api/big-and-broken HTTP/9.9\r\nX-Fill: " + "f".repeat(17_000) + "\r\n\r\n");
            try (Gateway gateway = Gateway.start(config, Gateway.Options.defaults().workers(1))) {
                for (String request : requests) {
                    try (RawHttp raw = new RawHttp(port)) {
                        raw.send(request);
                        assertThat(raw.read().status()).isIn(400, 431, 501);
                    }
                }
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> Files.exists(log) && Files.readAllLines(log).size() == requests.size());
            }
            List<String> lines = Files.readAllLines(log);
            ObjectMapper json = new ObjectMapper();
            JsonNode big = json.readTree(lines.get(0));
            assertThat(big.get("status").asInt()).isEqualTo(431);
            assertThat(big.get("method").asText()).isEqualTo("GET");
            assertThat(big.get("path").asText()).isEqualTo("/api/big");
            JsonNode twoLengths = json.readTree(lines.get(1));
            assertThat(twoLengths.get("status").asInt()).isEqualTo(400);
            assertThat(twoLengths.get("method").asText()).isEqualTo("POST");
            assertThat(twoLengths.get("path").asText()).isEqualTo("/api/two-lengths");
            JsonNode both = json.readTree(lines.get(2));
            assertThat(both.get("method").asText()).isEqualTo("PUT");
            assertThat(both.get("path").asText()).isEqualTo("/api/both");
            JsonNode badField = json.readTree(lines.get(3));
            assertThat(badField.get("method").asText()).isEqualTo("DELETE");
            assertThat(badField.get("path").asText()).isEqualTo("/api/bad-field");
            JsonNode coded = json.readTree(lines.get(4));
            assertThat(coded.get("status").asInt()).as("a transfer coding the gateway does not implement").isEqualTo(501);
            assertThat(coded.get("method").asText()).isEqualTo("PATCH");
            assertThat(coded.get("path").asText()).isEqualTo("/api/coded");
            for (JsonNode line : List.of(big, twoLengths, both, badField, coded)) {
                for (String unknown : List.of("host", "request_id", "router", "service", "upstream")) {
                    assertThat(line.get(unknown).asText()).as(unknown).isEmpty();
                }
            }
            JsonNode bigAndBroken = json.readTree(lines.get(5));
            assertThat(bigAndBroken.get("status").asInt()).isEqualTo(431);
            assertThat(bigAndBroken.get("method").asText()).as("a request line that is not HTTP/1.x").isEmpty();
            assertThat(bigAndBroken.get("path").asText()).isEmpty();
            assertThat(backend.hits()).isZero();
        }
    }

    @Test
    void aRequestLineThatCouldNotBeReadIsADashInCommonLogFormat() {
        Instant now = Instant.parse("2024-05-01T10:00:00Z");
        assertThat(AccessLogWriter.common(new Line("", "", 400), now))
                .isEqualTo("127.0.0.1 - - [01/May/2024:10:00:00 +0000] \"-\" 400 57");
        assertThat(AccessLogWriter.common(new Line("GET", "/a?b=1", 404), now))
                .isEqualTo("127.0.0.1 - - [01/May/2024:10:00:00 +0000] \"GET /a?b=1 HTTP/1.1\" 404 57");
    }

    private record Line(String method, String uri, int status) implements AccessLog.Entry {
        @Override public String requestId() { return ""; }
        @Override public String clientIp() { return "127.0.0.1"; }
        @Override public String host() { return ""; }
        @Override public String path() { return uri; }
        @Override public long requestBytes() { return 0; }
        @Override public long responseBytes() { return 57; }
        @Override public String routerName() { return ""; }
        @Override public String serviceName() { return ""; }
        @Override public String upstream() { return ""; }
    }

    @Test
    void keepsWritingLinesAfterAnAccessLogAddedByAReloadIsFollowedByAnotherReload() throws Exception {
        Path log = dir.resolve("access.log");
        int port = Ports.free();
        int admin = Ports.free();
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


    /** A gateway on {@code port} with an {@code /api} router to {@code backend} and a JSON access log at {@code log}. */
    private static String jsonLogConfig(int port, Path log, Backend backend) {
        return """
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
                """.formatted(port, Ports.free(), log, backend.url());
    }
}
