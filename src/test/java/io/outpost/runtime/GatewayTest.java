package io.outpost.runtime;

import io.outpost.testing.Ports;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.testing.Backend;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole gateway from a configuration file: routing, hot reload, bad reload and the admin API. */
class GatewayTest {

    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private Backend blue;
    private Backend green;
    private Gateway gateway;
    private Path file;
    private int port;
    private int adminPort;

    @BeforeEach
    void start() throws Exception {
        blue = Backend.start("blue");
        green = Backend.start("green");
        port = Ports.free();
        adminPort = Ports.free();
        file = dir.resolve("outpost.yaml");
        write(routes("PathPrefix(`/`)", "blue"));
        gateway = Gateway.start(file, Gateway.Options.defaults().workers(1));
    }

    @AfterEach
    void stop() {
        gateway.close();
        blue.close();
        green.close();
    }

    private String routes(String apiRule, String apiService) {
        return """
                entryPoints:
                  web: { address: "127.0.0.1:%d" }
                admin: { address: "127.0.0.1:%d", auth: { token: "s3cret-token" } }
                accessLog: { enabled: false }
                http:
                  routers:
                    api:
                      rule: "%s"
                      service: %s
                    shop:
                      rule: "Host(`shop.test`) && PathPrefix(`/cart`)"
                      service: green
                    low:
                      rule: "PathPrefix(`/x`)"
                      service: green
                      priority: 1
                  services:
                    blue:
                      loadBalancer: { endpoints: [ { url: "%s" } ] }
                    green:
                      loadBalancer: { endpoints: [ { url: "%s" } ] }
                """.formatted(port, adminPort, apiRule.replace("`", "`"), apiService, blue.url(), green.url());
    }

    private void write(String yaml) throws Exception {
        Path tmp = dir.resolve("next.yaml");
        Files.writeString(tmp, yaml);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private String get(String host, String path) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
        HttpResponse<String> r = client.send(b.header("X-Test-Host", host).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body().trim();
    }

    private String getWithHost(String host, String path) throws Exception {
        try (var raw = new io.outpost.testing.RawHttp(port)) {
            raw.send("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
            var r = raw.read();
            return r.status() + " " + r.body().trim();
        }
    }

    private HttpResponse<String> admin(String path, boolean withToken) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path));
        if (withToken) {
            b.header("Authorization", "Bearer s3cret-token");
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void routesByHostPathAndPriority() throws Exception {
        assertThat(getWithHost("shop.test", "/cart/1")).isEqualTo("200 green GET /cart/1 body=0");
        assertThat(getWithHost("other.test", "/cart/1")).isEqualTo("200 blue GET /cart/1 body=0");
        // "low" has an explicit priority of 1, below the catch-all's rule length.
        assertThat(getWithHost("a", "/x/1")).isEqualTo("200 blue GET /x/1 body=0");
    }

    @Test
    void headerRulesSeeEveryFieldLineOfTheHeader() throws Exception {
        write(routes("Header(`X-Canary`, `2`)", "blue"));
        await().atMost(Duration.ofSeconds(2)).until(() -> getWithHost("a", "/y").startsWith("404"));
        try (var raw = new io.outpost.testing.RawHttp(port)) {
            raw.send("GET /y HTTP/1.1\r\nHost: a\r\nX-Canary: 1\r\nX-Canary: 2\r\n\r\n");
            var r = raw.read();
            assertThat(r.status() + " " + r.body().trim()).isEqualTo("200 blue GET /y body=0");
        }
    }

    @Test
    void reloadSwapsRoutesAndABadFileKeepsTheLastGoodOne() throws Exception {
        assertThat(get("", "/api")).startsWith("200 blue");
        write(routes("PathPrefix(`/`)", "green"));
        await().atMost(Duration.ofSeconds(2)).until(() -> get("", "/api").startsWith("200 green"));

        write(routes("PathPrefix(`/` &&", "blue"));
        write(routes("PathPrefix(`/`)", "nope-service"));
        // Give the provider time to see both bad files; traffic must stay on green throughout.
        for (int i = 0; i < 20; i++) {
            assertThat(get("", "/api")).startsWith("200 green");
        }
        assertThat(gateway.runtime().config().http().routers().get("api").service()).isEqualTo("green");

        write(routes("PathPrefix(`/`)", "blue"));
        await().atMost(Duration.ofSeconds(2)).until(() -> get("", "/api").startsWith("200 blue"));
    }

    @Test
    void adminApiShowsRoutersServicesAndRedactedConfig() throws Exception {
        assertThat(admin("/health", false).statusCode()).isEqualTo(200);
        assertThat(admin("/ready", false).statusCode()).isEqualTo(200);
        assertThat(admin("/api/routers", false).statusCode()).isEqualTo(401);

        ObjectMapper json = new ObjectMapper();
        JsonNode routers = json.readTree(admin("/api/routers", true).body());
        assertThat(routers).hasSize(3);
        assertThat(routers.get(0).get("name").asText()).isEqualTo("api");
        assertThat(routers.get(2).get("priority").asInt()).isEqualTo(1);

        JsonNode service = json.readTree(admin("/api/services/green", true).body());
        assertThat(service.get("endpoints").get(0).get("url").asText()).isEqualTo(green.url());
        assertThat(admin("/api/services/none", true).statusCode()).isEqualTo(404);

        JsonNode eps = json.readTree(admin("/api/entrypoints", true).body());
        assertThat(eps.get(0).get("address").asText()).isEqualTo("127.0.0.1:" + port);

        String config = admin("/api/config", true).body();
        assertThat(config).contains("entryPoints").doesNotContain("s3cret-token");
    }

    @Test
    void aReloadThatRotatesTheAdminTokenRevokesTheOldOne() throws Exception {
        assertThat(admin("/api/routers", true).statusCode()).isEqualTo(200);
        // The old token leaked: the operator writes a new one into the file, with another change to see it applied.
        write(routes("PathPrefix(`/`)", "green").replace("s3cret-token", "rotated-token"));
        await().atMost(Duration.ofSeconds(2)).until(() -> get("", "/api").startsWith("200 green"));
        assertThat(admin("/api/routers", true).statusCode()).as("the old token").isEqualTo(401);
        HttpResponse<String> rotated = client.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + adminPort + "/api/routers"))
                .header("Authorization", "Bearer rotated-token").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(rotated.statusCode()).as("the new token").isEqualTo(200);
    }

    @Test
    void anInvalidFirstConfigurationFailsStartWithEveryError() throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "entryPoints:\n  web: { address: nope }\nhttp:\n  routers:\n    r: { rule: \"Path(`/`)\", service: missing }\n");
        assertThatThrownBy(() -> Gateway.start(bad, Gateway.Options.defaults()))
                .isInstanceOfSatisfying(Gateway.InvalidConfigurationException.class, e ->
                        assertThat(e.errors()).extracting(Object::toString).anySatisfy(s ->
                                assertThat(s).startsWith("entryPoints.web.address"))
                                .anySatisfy(s -> assertThat(s).startsWith("http.routers.r.service")));
    }

    @Test
    void closingTwiceIsHarmless() {
        gateway.close();
        assertThatCode(gateway::close).doesNotThrowAnyException();
        assertThat(gateway.shutdown()).isZero();
    }

}
