package io.outpost.observability;

import io.outpost.testing.Ports;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.outpost.config.ConfigLoader;
import io.outpost.config.ServiceConfig;
import io.outpost.proxy.AccessLog;
import io.outpost.runtime.Gateway;
import io.outpost.testing.Backend;
import io.outpost.testing.RawHttp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /metrics} as a Prometheus user reads it: requests by router, service, method and code, and their durations. */
class RequestMetricsTest {

    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static String config(int port, int admin, String routers, String backend, int deadPort) {
        return """
                entryPoints:
                  web: { address: "127.0.0.1:%d" }
                admin: { address: "127.0.0.1:%d" }
                http:
                  routers:
                %s
                  middlewares:
                    small: { maxBodySize: { limit: 4 } }
                  services:
                    b:
                      loadBalancer: { endpoints: [ { url: "%s" } ] }
                    dead:
                      loadBalancer: { endpoints: [ { url: "http://127.0.0.1:%d" } ] }
                    slow:
                      loadBalancer: { endpoints: [ { url: "%s" } ], timeouts: { responseHeader: 200ms } }
                """.formatted(port, admin, routers, backend, deadPort, backend);
    }

    private static final String ROUTERS = """
                api: { rule: "PathPrefix(`/api`)", service: b }
                upload: { rule: "PathPrefix(`/upload`)", service: b, middlewares: [small] }
                gone: { rule: "PathPrefix(`/gone`)", service: dead }
                late: { rule: "PathPrefix(`/late`)", service: slow }
            """;

    @Test
    void everyRequestIsCountedAndTimedWithBoundedLabels() throws Exception {
        int port = Ports.free();
        int admin = Ports.free();
        try (Backend backend = Backend.start("b")) {
            backend.on("/late", ex -> {
                try {
                    Thread.sleep(1_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                Backend.respond(ex, 200, "late");
            });
            Path file = dir.resolve("outpost.yaml");
            Files.writeString(file, config(port, admin, ROUTERS, backend.url(), Ports.free()));
            try (Gateway gateway = Gateway.start(file, Gateway.Options.defaults().workers(1));
                 RawHttp raw = new RawHttp(port)) {
                raw.send("GET /api/a?id=1 HTTP/1.1\r\nHost: shop\r\n\r\n");
                assertThat(raw.read().status()).isEqualTo(200);
                raw.send("POST /api/b HTTP/1.1\r\nHost: shop\r\nContent-Length: 3\r\n\r\nabc");
                assertThat(raw.read().status()).isEqualTo(200);
                raw.send("BREW /api/c HTTP/1.1\r\nHost: shop\r\n\r\n");
                assertThat(raw.read().status()).isEqualTo(200);
                raw.send("GET /nowhere/1234 HTTP/1.1\r\nHost: shop\r\n\r\n");
                assertThat(raw.read().status()).isEqualTo(404);
                raw.send("GET /gone HTTP/1.1\r\nHost: shop\r\n\r\n");
                assertThat(raw.read().status()).isEqualTo(502);
                raw.send("POST /upload HTTP/1.1\r\nHost: shop\r\nContent-Length: 10\r\n\r\n0123456789");
                assertThat(raw.read().status()).isEqualTo(413);
                get(port, "/late", 504);
                try (RawHttp bad = new RawHttp(port)) {
                    bad.send("POST /api/x HTTP/1.1\r\nHost: shop\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx");
                    assertThat(bad.read().status()).isEqualTo(400);
                }
                try (RawHttp coded = new RawHttp(port)) {
                    coded.send("PUT /api/x HTTP/1.1\r\nHost: shop\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n");
                    assertThat(coded.read().status()).isEqualTo(501);
                }

                HttpResponse<String> scrape = await().atMost(Duration.ofSeconds(5)).until(
                        () -> client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/metrics"))
                                .build(), HttpResponse.BodyHandlers.ofString()),
                        r -> r.body().contains("code=\"400\"") && r.body().contains("code=\"501\""));
                assertThat(scrape.headers().firstValue("content-type")).contains("text/plain; version=0.0.4; charset=utf-8");
                String text = scrape.body();
                assertThat(text)
                        .contains("# TYPE outpost_requests_total counter")
                        .contains("outpost_requests_total{code=\"200\",entrypoint=\"web\",method=\"GET\",router=\"api\",service=\"b\"} 1.0")
                        .contains("outpost_requests_total{code=\"200\",entrypoint=\"web\",method=\"POST\",router=\"api\",service=\"b\"} 1.0")
                        .contains("outpost_requests_total{code=\"200\",entrypoint=\"web\",method=\"OTHER\",router=\"api\",service=\"b\"} 1.0")
                        .contains("outpost_requests_total{code=\"404\",entrypoint=\"web\",method=\"GET\",router=\"\",service=\"\"} 1.0")
                        .contains("outpost_requests_total{code=\"502\",entrypoint=\"web\",method=\"GET\",router=\"gone\",service=\"dead\"} 1.0")
                        .contains("outpost_requests_total{code=\"413\",entrypoint=\"web\",method=\"POST\",router=\"upload\",service=\"b\"} 1.0")
                        .contains("outpost_requests_total{code=\"504\",entrypoint=\"web\",method=\"GET\",router=\"late\",service=\"slow\"} 1.0")
                        .contains("outpost_requests_total{code=\"400\",entrypoint=\"web\",method=\"POST\",router=\"\",service=\"\"} 1.0")
                        .contains("outpost_requests_total{code=\"501\",entrypoint=\"web\",method=\"PUT\",router=\"\",service=\"\"} 1.0")
                        .contains("# TYPE outpost_request_duration_seconds histogram")
                        .contains("outpost_request_duration_seconds_count{code=\"200\",entrypoint=\"web\",router=\"api\",service=\"b\"} 3")
                        .contains("outpost_request_duration_seconds_bucket{code=\"502\",entrypoint=\"web\",router=\"gone\",service=\"dead\",le=\"+Inf\"} 1")
                        .contains("outpost_request_duration_seconds_count{code=\"404\",entrypoint=\"web\",router=\"\",service=\"\"} 1")
                        .contains("outpost_request_duration_seconds_count{code=\"413\",entrypoint=\"web\",router=\"upload\",service=\"b\"} 1")
                        .contains("outpost_request_duration_seconds_bucket{code=\"504\",entrypoint=\"web\",router=\"late\",service=\"slow\",le=\"0.1\"} 0")
                        .contains("outpost_request_duration_seconds_bucket{code=\"504\",entrypoint=\"web\",router=\"late\",service=\"slow\",le=\"0.25\"} 1")
                        .contains("outpost_request_bytes_total{entrypoint=\"web\",router=\"api\",service=\"b\"} 3.0")
                        .contains("outpost_requests_in_flight 0.0")
                        .contains("jvm_memory_used_bytes{").contains("jvm_threads_live_threads ")
                        .contains("process_cpu_usage ").contains("process_uptime_seconds ")
                        .contains("process_files_open_files ");
                assertThat(text).as("no path, method or client address becomes a label")
                        .doesNotContain("BREW").doesNotContain("/nowhere").doesNotContain("127.0.0.1\"");
            }
        }
    }

    @Test
    void aScraperThatAsksForOpenMetricsGetsIt() throws Exception {
        int port = Ports.free();
        int admin = Ports.free();
        try (Backend backend = Backend.start("b")) {
            Path file = dir.resolve("outpost.yaml");
            Files.writeString(file, config(port, admin, ROUTERS, backend.url(), Ports.free()));
            try (Gateway gateway = Gateway.start(file, Gateway.Options.defaults().workers(1))) {
                get(port, "/api/a", 200);
                scrapeUntilItContains(gateway, "outpost_requests_total{code=\"200\"");
                URI metrics = URI.create("http://127.0.0.1:" + admin + "/metrics");
                // What Prometheus sends by default.
                HttpResponse<String> open = client.send(HttpRequest.newBuilder(metrics).header("Accept",
                        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
                                + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1").build(), HttpResponse.BodyHandlers.ofString());
                assertThat(open.statusCode()).isEqualTo(200);
                assertThat(open.headers().firstValue("content-type"))
                        .contains("application/openmetrics-text; version=1.0.0; charset=utf-8");
                assertThat(open.body()).endsWith("# EOF\n")
                        .contains("# TYPE outpost_requests counter")
                        .contains("outpost_requests_total{code=\"200\",entrypoint=\"web\",method=\"GET\",router=\"api\",service=\"b\"} 1.0");

                HttpResponse<String> text = client.send(HttpRequest.newBuilder(metrics).header("Accept", "text/plain")
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(text.headers().firstValue("content-type")).contains("text/plain; version=0.0.4; charset=utf-8");
                assertThat(text.body()).doesNotContain("# EOF").contains("# TYPE outpost_requests_total counter");
            }
        }
    }

    @Test
    void aScraperThatRefusesOpenMetricsOrPrefersTheTextFormatGetsTheTextFormat() throws Exception {
        int port = Ports.free();
        int admin = Ports.free();
        try (Backend backend = Backend.start("b")) {
            Path file = dir.resolve("outpost.yaml");
            Files.writeString(file, config(port, admin, ROUTERS, backend.url(), Ports.free()));
            try (Gateway gateway = Gateway.start(file, Gateway.Options.defaults().workers(1))) {
                URI metrics = URI.create("http://127.0.0.1:" + admin + "/metrics");
                String text = "text/plain; version=0.0.4; charset=utf-8";
                String open = "application/openmetrics-text; version=1.0.0; charset=utf-8";
                Map<String, String> expected = new LinkedHashMap<>();
                expected.put("application/openmetrics-text;q=0, text/plain", text);
                expected.put("application/openmetrics-text; q=0.000, */*", text);
                expected.put("text/plain;q=0.9, application/openmetrics-text;q=0.3", text);
                expected.put("application/openmetrics-text;q=0.5, text/plain;q=0.5", open);
                expected.put("text/plain;q=0.5, application/openmetrics-text;q=0.5", text);
                expected.put("text/*;q=0.2, application/*", open);
                expected.put("APPLICATION/OpenMetrics-Text", open);
                expected.put("*/*", text);
                for (Map.Entry<String, String> e : expected.entrySet()) {
                    HttpResponse<String> r = client.send(HttpRequest.newBuilder(metrics).header("Accept", e.getKey())
                            .build(), HttpResponse.BodyHandlers.ofString());
                    assertThat(r.statusCode()).as(e.getKey()).isEqualTo(200);
                    assertThat(r.headers().firstValue("content-type")).as(e.getKey()).hasValue(e.getValue());
                    assertThat(r.body().endsWith("# EOF\n")).as(e.getKey()).isEqualTo(e.getValue().equals(open));
                }
            }
        }
    }

    @Test
    void aRequestStillRunningWhenItsRouterIsRemovedRecordsNothingForIt() throws Exception {
        int port = Ports.free();
        int admin = Ports.free();
        int dead = Ports.free();
        CountDownLatch arrived = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (Backend backend = Backend.start("b")) {
            backend.on("/slow", ex -> {
                arrived.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                Backend.respond(ex, 200, "slow");
            });
            String routers = ROUTERS + """
                        slow: { rule: "PathPrefix(`/slow`)", service: b }
                    """;
            Path file = dir.resolve("outpost.yaml");
            Files.writeString(file, config(port, admin, routers, backend.url(), dead));
            try (Gateway gateway = Gateway.start(file, Gateway.Options.defaults().workers(1));
                 RawHttp raw = new RawHttp(port)) {
                raw.send("GET /slow HTTP/1.1\r\nHost: shop\r\n\r\n");
                await().atMost(Duration.ofSeconds(10)).until(() -> arrived.getCount() == 0);

                // The router goes while its request waits for the upstream; the request goes on on the old snapshot.
                Files.writeString(file, config(port, admin, ROUTERS, backend.url(), dead));
                await().atMost(Duration.ofSeconds(10)).until(() -> !gateway.runtime().config().http().routers()
                        .containsKey("slow"));
                release.countDown();
                assertThat(raw.read().status()).isEqualTo(200);

                // The next request on the same connection is recorded after the first one ended.
                raw.send("GET /api/after HTTP/1.1\r\nHost: shop\r\n\r\n");
                assertThat(raw.read().status()).isEqualTo(200);
                String text = scrapeUntilItContains(gateway,
                        "outpost_requests_total{code=\"200\",entrypoint=\"web\",method=\"GET\",router=\"api\",service=\"b\"} 1.0");
                assertThat(text).as("the removed router's series stay removed").doesNotContain("router=\"slow\"");
            }
        }
    }

    @Test
    void recordingsForWhatTheServingConfigurationNoLongerRoutesGoNowhere() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        RequestMetrics metrics = new RequestMetrics(registry);
        metrics.log(new Finished("web", "api", "b", "GET", 200), 1_000);
        metrics.log(new Finished("web", "old", "b", "GET", 200), 1_000);

        metrics.retain(new ConfigLoader().parse(config(Ports.free(), Ports.free(), """
                    api: { rule: "PathPrefix(`/api`)", service: b, entryPoints: [web] }
                """, "http://127.0.0.1:9", 9), "outpost.yaml").orElseThrow());
        // Requests that started on the replaced configuration end now: a removed router, a router that
        // leads elsewhere now, one that no longer serves the entry point, and a method or status not seen yet.
        metrics.log(new Finished("web", "old", "b", "GET", 200), 1_000);
        metrics.log(new Finished("web", "old", "b", "POST", 503), 1_000);
        metrics.log(new Finished("web", "api", "dead", "GET", 200), 1_000);
        metrics.log(new Finished("admin", "api", "b", "GET", 200), 1_000);
        metrics.log(new Finished("web", "api", "b", "GET", 200), 1_000);
        metrics.log(new Finished("web", "", "", "GET", 404), 1_000);

        String text = registry.scrape();
        assertThat(text).doesNotContain("router=\"old\"").doesNotContain("service=\"dead\"")
                .doesNotContain("entrypoint=\"admin\"")
                .contains("outpost_requests_total{code=\"200\",entrypoint=\"web\",method=\"GET\",router=\"api\",service=\"b\"} 2.0")
                .contains("outpost_requests_total{code=\"404\",entrypoint=\"web\",method=\"GET\",router=\"\",service=\"\"} 1.0");
    }

    @Test
    void aRemovedRouterStopsBeingReportedAndCountsFromZeroWhenAddedBack() throws Exception {
        int port = Ports.free();
        int admin = Ports.free();
        int dead = Ports.free();
        try (Backend backend = Backend.start("b")) {
            Path file = dir.resolve("outpost.yaml");
            Files.writeString(file, config(port, admin, ROUTERS, backend.url(), dead));
            try (Gateway gateway = Gateway.start(file, Gateway.Options.defaults().workers(1))) {
                get(port, "/api/one", 200);
                get(port, "/api/two", 200);
                scrapeUntilItContains(gateway,
                        "outpost_requests_total{code=\"200\",entrypoint=\"web\",method=\"GET\",router=\"api\",service=\"b\"} 2.0");

                // The router is removed: its series go, the others stay.
                Files.writeString(file, config(port, admin, """
                            upload: { rule: "PathPrefix(`/upload`)", service: b, middlewares: [small] }
                            gone: { rule: "PathPrefix(`/gone`)", service: dead }
                        """, backend.url(), dead));
                await().atMost(Duration.ofSeconds(10)).until(() -> !gateway.runtime().config().http().routers().containsKey("api"));
                get(port, "/gone", 502);
                String without = scrapeUntilItContains(gateway,
                        "outpost_requests_total{code=\"502\",entrypoint=\"web\",method=\"GET\",router=\"gone\",service=\"dead\"} 1.0");
                assertThat(without).doesNotContain("router=\"api\"");

                // Added back, to another service: counted from zero, under that service only.
                Files.writeString(file, config(port, admin, ROUTERS.replace("service: b }", "service: dead }"), backend.url(), dead));
                await().atMost(Duration.ofSeconds(10)).until(() -> gateway.runtime().config().http().routers().containsKey("api"));
                get(port, "/gone", 502);
                get(port, "/api/three", 502);
                String back = scrapeUntilItContains(gateway,
                        "outpost_requests_total{code=\"502\",entrypoint=\"web\",method=\"GET\",router=\"api\",service=\"dead\"} 1.0",
                        "outpost_requests_total{code=\"502\",entrypoint=\"web\",method=\"GET\",router=\"gone\",service=\"dead\"} 2.0");
                assertThat(back).doesNotContain("router=\"api\",service=\"b\"");
            }
        }
    }

    @Test
    void aRemovedMirrorStopsBeingReportedWhileAKeptOneKeepsCounting() throws Exception {
        int port = Ports.free();
        int admin = Ports.free();
        try (Backend main = Backend.start("main"); Backend shadow = Backend.start("shadow")) {
            String head = """
                    entryPoints:
                      web: { address: "127.0.0.1:%d" }
                    admin: { address: "127.0.0.1:%d" }
                    http:
                      routers:
                        api: { rule: "PathPrefix(`/`)", service: mirrored }
                      services:
                        main:
                          loadBalancer: { endpoints: [ { url: "%s" } ] }
                        shadow:
                          loadBalancer: { endpoints: [ { url: "%s" } ] }
                        other:
                          loadBalancer: { endpoints: [ { url: "%s" } ] }
                    """.formatted(port, admin, main.url(), shadow.url(), shadow.url());
            String both = head + """
                        mirrored:
                          mirroring: { service: main, mirrors: [ { name: shadow, percent: 100 }, { name: other, percent: 100 } ] }
                    """;
            Path file = dir.resolve("outpost.yaml");
            Files.writeString(file, both);
            try (Gateway gateway = Gateway.start(file, Gateway.Options.defaults().workers(1))) {
                get(port, "/a", 200);
                scrapeUntilItContains(gateway,
                        "outpost_mirror_requests_total{mirror=\"shadow\",outcome=\"mirrored\",service=\"mirrored\"} 1.0",
                        "outpost_mirror_requests_total{mirror=\"other\",outcome=\"mirrored\",service=\"mirrored\"} 1.0");

                Files.writeString(file, both.replace(", { name: other, percent: 100 }", ""));
                await().atMost(Duration.ofSeconds(10)).until(() -> ((ServiceConfig.Mirroring) gateway.runtime().config()
                        .http().services().get("mirrored")).mirrors().size() == 1);
                get(port, "/b", 200);
                String after = scrapeUntilItContains(gateway,
                        "outpost_mirror_requests_total{mirror=\"shadow\",outcome=\"mirrored\",service=\"mirrored\"} 2.0");
                assertThat(after).doesNotContain("mirror=\"other\"");
            }
        }
    }

    @Test
    void endpointHealthIsAGaugePerEndpointThatGoesWithTheEndpoint() throws Exception {
        int port = Ports.free();
        int admin = Ports.free();
        int dead = Ports.free();
        try (Backend live = Backend.start("live")) {
            String services = """
                    entryPoints:
                      web: { address: "127.0.0.1:%d" }
                    admin: { address: "127.0.0.1:%d" }
                    http:
                      routers:
                        api: { rule: "PathPrefix(`/`)", service: pool }
                      services:
                        pool:
                          loadBalancer:
                            endpoints: [ { url: "%s" }, { url: "http://127.0.0.1:%d" } ]
                            healthCheck: { path: /, interval: 100ms, timeout: 100ms, unhealthyThreshold: 1 }
                        spare:
                          loadBalancer: { endpoints: [ { url: "%s" } ] }
                    """.formatted(port, admin, live.url(), dead, live.url());
            Path file = dir.resolve("outpost.yaml");
            Files.writeString(file, services);
            try (Gateway gateway = Gateway.start(file, Gateway.Options.defaults().workers(1))) {
                String liveId = "http://127.0.0.1:" + live.port();
                scrapeUntilItContains(gateway,
                        "outpost_service_endpoint_up{endpoint=\"" + liveId + "\",service=\"pool\"} 1.0",
                        "outpost_service_endpoint_up{endpoint=\"http://127.0.0.1:" + dead + "\",service=\"pool\"} 0.0",
                        "outpost_service_endpoint_up{endpoint=\"" + liveId + "\",service=\"spare\"} 1.0");

                // The dead endpoint and the spare service are removed: their gauges go, the live one's health stays.
                Files.writeString(file, services.replace(", { url: \"http://127.0.0.1:" + dead + "\" }", "")
                        .replace("""
                                    spare:
                                      loadBalancer: { endpoints: [ { url: "%s" } ] }
                                """.formatted(live.url()), ""));
                // The new snapshot serves first, and its meters are swept just after: wait for both.
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(gateway.metrics().scrape())
                        .contains("outpost_service_endpoint_up{endpoint=\"" + liveId + "\",service=\"pool\"} 1.0")
                        .doesNotContain("service=\"spare\"").doesNotContain(":" + dead + "\""));
                assertThat(gateway.runtime().services()).doesNotContainKey("spare");
            }
        }
    }

    @Test
    void replicaEndpointsHaveAHealthGaugeThatGoesWithTheEndpoint() throws Exception {
        int port = Ports.free();
        int admin = Ports.free();
        int dead = Ports.free();
        try (Backend cloud = Backend.start("cloud"); Backend edge = Backend.start("edge")) {
            String head = """
                    entryPoints:
                      web: { address: "127.0.0.1:%d" }
                    admin: { address: "127.0.0.1:%d" }
                    journal: { dir: "%s" }
                    http:
                      routers:
                        api: { rule: "PathPrefix(`/`)", service: %s }
                      services:
                        spare:
                          loadBalancer: { endpoints: [ { url: "%s" } ] }
                    """;
            String pos = """
                        pos:
                          replicated:
                            replicas:
                              cloud: { priority: 0, endpoints: ["%s"] }
                              edge: { priority: 1, endpoints: ["%s"] }
                            healthCheck: { path: /, interval: 100ms, timeout: 100ms, unhealthyThreshold: 1 }
                    """;
            Path journal = dir.resolve("journal");
            String deadUrl = "http://127.0.0.1:" + dead;
            Path file = dir.resolve("outpost.yaml");
            Files.writeString(file, head.formatted(port, admin, journal, "pos", cloud.url())
                    + pos.formatted(cloud.url(), deadUrl));
            try (Gateway gateway = Gateway.start(file, Gateway.Options.defaults().workers(1))) {
                scrapeUntilItContains(gateway,
                        "outpost_service_endpoint_up{endpoint=\"" + cloud.url() + "\",service=\"pos\"} 1.0",
                        "outpost_service_endpoint_up{endpoint=\"" + deadUrl + "\",service=\"pos\"} 0.0");

                // The edge replica moves to a live server: the old endpoint's gauge goes, the new one's comes.
                Files.writeString(file, head.formatted(port, admin, journal, "pos", cloud.url())
                        + pos.formatted(cloud.url(), edge.url()));
                await().atMost(Duration.ofSeconds(10)).until(() -> ((ServiceConfig.Replicated) gateway.runtime().config()
                        .http().services().get("pos")).replicas().get("edge").endpoints().get(0).toString()
                        .equals(edge.url()));
                String moved = scrapeUntilItContains(gateway,
                        "outpost_service_endpoint_up{endpoint=\"" + edge.url() + "\",service=\"pos\"} 1.0",
                        "outpost_service_endpoint_up{endpoint=\"" + cloud.url() + "\",service=\"pos\"} 1.0");
                assertThat(moved).doesNotContain(deadUrl);

                // The replicated service is removed: so are its gauges.
                Files.writeString(file, head.formatted(port, admin, journal, "spare", cloud.url()));
                await().atMost(Duration.ofSeconds(10)).until(() -> !gateway.runtime().services().containsKey("pos"));
                assertThat(gateway.metrics().scrape())
                        .contains("outpost_service_endpoint_up{endpoint=\"" + cloud.url() + "\",service=\"spare\"} 1.0")
                        .doesNotContainPattern("outpost_service_endpoint_up\\{[^}]*service=\"pos\"");
            }
        }
    }

    @Test
    void countsEveryRecordFromManyThreadsAtOnce() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        RequestMetrics metrics = new RequestMetrics(registry);
        int threads = 4;
        int each = 20_000;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> running = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < each; i++) {
                    // Every thread meets new combinations of labels while the others record.
                    metrics.log(new Finished("web", "api", "b", i % 2 == 0 ? "GET" : "POST", 200 + (i + id) % 5), 1_000);
                }
            });
            thread.start();
            running.add(thread);
        }
        start.countDown();
        for (Thread thread : running) {
            thread.join();
        }
        double total = registry.find("outpost.requests").counters().stream().mapToDouble(c -> c.count()).sum();
        assertThat(total).isEqualTo(threads * each);
        assertThat(registry.find("outpost.requests").counters()).hasSize(10);
        assertThat(registry.find("outpost.request.duration").timers().stream().mapToLong(t -> t.count()).sum())
                .isEqualTo(threads * each);
        assertThat(registry.get("outpost.request.bytes").counter().count()).isEqualTo(threads * each * 3);
    }

    private record Finished(String entryPoint, String routerName, String serviceName, String method, int status)
            implements AccessLog.Entry {
        @Override public String requestId() { return "r"; }
        @Override public String clientIp() { return "10.0.0.1"; }
        @Override public String host() { return "shop"; }
        @Override public String path() { return "/api"; }
        @Override public String uri() { return "/api"; }
        @Override public long requestBytes() { return 3; }
        @Override public long responseBytes() { return 5; }
        @Override public String upstream() { return ""; }
    }

    /** Recording follows the last response byte, so a scrape right after a response may not show it yet. */
    private static String scrapeUntilItContains(Gateway gateway, String... lines) {
        return await().atMost(Duration.ofSeconds(5)).until(() -> gateway.metrics().scrape(),
                text -> Arrays.stream(lines).allMatch(text::contains));
    }

    private static void get(int port, String path, int status) throws Exception {
        try (RawHttp raw = new RawHttp(port)) {
            raw.send("GET " + path + " HTTP/1.1\r\nHost: shop\r\n\r\n");
            assertThat(raw.read().status()).isEqualTo(status);
        }
    }
}
