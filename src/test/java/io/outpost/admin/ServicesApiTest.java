package io.outpost.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.config.ServiceConfig;
import io.outpost.proxy.ForwardOptions;
import io.outpost.proxy.UpstreamTarget;
import io.outpost.runtime.BuildContext;
import io.outpost.runtime.Gateway;
import io.outpost.runtime.ServiceFactory;
import io.outpost.service.RoundRobinService;
import io.outpost.service.Service;
import io.outpost.testing.Backend;
import io.outpost.testing.Ports;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Endpoint health in {@code GET /api/services}, which the dashboard shows: every kind of service reports
 * {@code healthy} (whether it may be used) and {@code activeHealth.state}, which is {@code unchecked} only when
 * no health check is configured.
 */
class ServicesApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private Gateway gateway;
    private int admin;
    private Path file;

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    private void start(String services, ServiceFactory factory) throws Exception {
        admin = Ports.free();
        file = dir.resolve("outpost.yaml");
        Files.writeString(file, yaml(services));
        gateway = Gateway.start(file, new Gateway.Options(1, Clock.systemUTC(), factory));
    }

    private String yaml(String services) {
        return """
                entryPoints:
                  web: { address: "127.0.0.1:%d" }
                admin: { address: "127.0.0.1:%d" }
                journal: { dir: "%s" }
                http:
                  routers:
                    all: { rule: "PathPrefix(`/`)", service: app }
                  services:
                %s""".formatted(Ports.free(), admin, dir.resolve("journal"), services);
    }

    private JsonNode services() throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + admin + "/api/services")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private JsonNode service(JsonNode services, String name) {
        for (JsonNode s : services) {
            if (s.get("name").asText().equals(name)) {
                return s;
            }
        }
        throw new AssertionError("no service " + name + " in " + services);
    }

    /** The endpoint with {@code url} among {@code endpoints}. */
    private static JsonNode endpoint(JsonNode endpoints, String url) {
        for (JsonNode e : endpoints) {
            if (e.get("url").asText().equals(url)) {
                return e;
            }
        }
        throw new AssertionError("no endpoint " + url + " in " + endpoints);
    }

    private JsonNode servicesUntil(Predicate<JsonNode> done) {
        return await().atMost(Duration.ofSeconds(10)).until(this::services, done);
    }

    private static String state(JsonNode endpoint) {
        JsonNode active = endpoint.get("activeHealth");
        return active == null ? "absent" : active.get("state").asText();
    }

    @Test
    void aLoadBalancerEndpointShowsTheVerdictOfItsChecksAfterAReloadThatReweightsIt() throws Exception {
        try (Backend live = Backend.start("live")) {
            String dead = "http://127.0.0.1:" + Ports.free();
            String services = """
                        app:
                          loadBalancer:
                            policy: roundRobin
                            endpoints: [ { url: "%s"%s }, { url: "%s" } ]
                            healthCheck: { path: /, interval: 200ms, timeout: 200ms, unhealthyThreshold: 1 }
                        plain:
                          loadBalancer: { endpoints: [ { url: "%s" } ] }
                    """;
            start(services.formatted(live.url(), "", dead, live.url()), new ServiceFactory());
            // A check of a busy machine's live server may time out once: wait for both verdicts.
            servicesUntil(s -> state(endpoint(service(s, "app").get("endpoints"), dead)).equals("unhealthy")
                    && state(endpoint(service(s, "app").get("endpoints"), live.url())).equals("healthy"));

            Files.writeString(file, yaml(services.formatted(live.url(), ", weight: 3", dead, live.url())));
            JsonNode after = servicesUntil(s -> endpoint(service(s, "app").get("endpoints"), live.url())
                    .get("weight").asInt() == 3
                    && state(endpoint(service(s, "app").get("endpoints"), live.url())).equals("healthy"));

            JsonNode endpoints = service(after, "app").get("endpoints");
            assertThat(endpoint(endpoints, live.url()).get("healthy").asBoolean()).isTrue();
            assertThat(state(endpoint(endpoints, live.url()))).as("still checked").isEqualTo("healthy");
            assertThat(endpoint(endpoints, dead).get("healthy").asBoolean()).isFalse();
            assertThat(state(endpoint(endpoints, dead))).isEqualTo("unhealthy");
            JsonNode plain = endpoint(service(after, "plain").get("endpoints"), live.url());
            assertThat(plain.get("healthy").asBoolean()).isTrue();
            assertThat(state(plain)).as("no health check configured").isEqualTo("unchecked");
        }
    }

    @Test
    void replicaEndpointsShowTheVerdictOfTheirChecksAndUncheckedWithoutOne() throws Exception {
        try (Backend cloud = Backend.start("cloud")) {
            String dead = "http://127.0.0.1:" + Ports.free();
            start("""
                        app:
                          replicated:
                            replicas:
                              cloud: { priority: 0, endpoints: ["%s"] }
                              edge: { priority: 1, endpoints: ["%s"] }
                            healthCheck: { path: /, interval: 200ms, timeout: 200ms, unhealthyThreshold: 1 }
                        unchecked:
                          replicated:
                            replicas:
                              only: { endpoints: ["%s"] }
                    """.formatted(cloud.url(), dead, cloud.url()), new ServiceFactory());

            JsonNode services = servicesUntil(s -> !service(s, "app").get("replicas").get(1).get("endpoints")
                    .get(0).get("healthy").asBoolean()
                    && service(s, "app").get("replicas").get(0).get("endpoints").get(0).get("healthy").asBoolean());
            JsonNode replicas = service(services, "app").get("replicas");
            JsonNode up = replicas.get(0).get("endpoints").get(0);
            assertThat(up.get("url").asText()).isEqualTo(cloud.url());
            assertThat(up.get("healthy").asBoolean()).isTrue();
            assertThat(state(up)).isEqualTo("healthy");
            assertThat(up.get("activeHealth").has("since")).isTrue();
            JsonNode down = replicas.get(1).get("endpoints").get(0);
            assertThat(state(down)).isEqualTo("unhealthy");
            assertThat(down.get("activeHealth").get("lastError").asText()).isNotEmpty();

            JsonNode only = service(services, "unchecked").get("replicas").get(0).get("endpoints").get(0);
            assertThat(only.get("healthy").asBoolean()).isTrue();
            assertThat(state(only)).isEqualTo("unchecked");
        }
    }

    @Test
    void aRoundRobinServiceThatChecksNothingShowsItsEndpointsAsUsableAndUnchecked() throws Exception {
        try (Backend backend = Backend.start("b")) {
            // An embedding that builds its own services: a plain round robin over the configured endpoints.
            ServiceFactory factory = new ServiceFactory() {
                @Override
                public Service create(String name, ServiceConfig config, BuildContext context) {
                    if (config instanceof ServiceConfig.LoadBalancer lb) {
                        return new RoundRobinService(name, lb.endpoints().stream()
                                .map(e -> UpstreamTarget.of(e.url().toString())).toList(), ForwardOptions.DEFAULTS);
                    }
                    return super.create(name, config, context);
                }
            };
            start("""
                        app:
                          loadBalancer: { endpoints: [ { url: "%s" } ] }
                    """.formatted(backend.url()), factory);

            JsonNode app = service(services(), "app");
            assertThat(app.get("policy").asText()).isEqualTo("roundRobin");
            JsonNode e = app.get("endpoints").get(0);
            assertThat(e.get("url").asText()).isEqualTo(backend.url());
            assertThat(e.path("healthy").isBoolean()).as("healthy is reported: " + e).isTrue();
            assertThat(e.get("healthy").asBoolean()).as("every endpoint is used in turn").isTrue();
            assertThat(state(e)).isEqualTo("unchecked");
        }
    }
}
