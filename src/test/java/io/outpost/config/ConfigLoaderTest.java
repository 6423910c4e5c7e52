package io.outpost.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.config.MiddlewareConfig.CircuitBreaker;
import io.outpost.config.ServiceConfig.LoadBalancer;
import io.outpost.config.ServiceConfig.Replicated;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @TempDir
    Path dir;

    static String designExample() throws IOException {
        try (InputStream in = ConfigLoaderTest.class.getResourceAsStream("design-example.yaml")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static OutpostConfig valid(String yaml) {
        ConfigResult result = new ConfigLoader().parse(yaml, "test.yaml");
        assertThat(result.errors()).isEmpty();
        return result.orElseThrow();
    }

    @Test
    void designExampleLoadsFromDisk() throws IOException {
        Path file = Files.writeString(dir.resolve("outpost.yaml"), designExample());

        ConfigResult result = new ConfigLoader().load(file);

        assertThat(result.errors()).isEmpty();
        OutpostConfig config = result.orElseThrow();
        assertThat(config.entryPoints().get("web").address()).isEqualTo(new HostPort("127.0.0.1", 8080));
        assertThat(config.admin().address()).isEqualTo(new HostPort("127.0.0.1", 8081));
        assertThat(config.journal().dir()).isEqualTo(Path.of("data/journal"));
        RouterConfig pos = config.http().routers().get("pos");
        assertThat(pos.rule()).isEqualTo("PathPrefix(`/pos`) && Method(`GET`,`POST`)");
        assertThat(pos.service()).isEqualTo("pos");
        assertThat(pos.middlewares()).containsExactly("strip");
        assertThat(pos.priority()).isEqualTo(OptionalInt.of(10));
        assertThat(pos.servesEntryPoint("web")).isTrue();
        assertThat(config.http().middlewares().get("strip")).isEqualTo(new MiddlewareConfig.StripPrefix(List.of("/pos")));
        LoadBalancer web = (LoadBalancer) config.http().services().get("web");
        assertThat(web.policy()).isEqualTo(LoadBalancerPolicy.ROUND_ROBIN);
        assertThat(web.overprovisioningFactor()).isEqualTo(1.4);
        assertThat(web.endpoints()).containsExactly(
                new EndpointConfig(UpstreamUrl.parse("http://127.0.0.1:9001"), 0, 1),
                new EndpointConfig(UpstreamUrl.parse("http://127.0.0.1:9002"), 1, 1));
        HealthCheckConfig hc = web.healthCheck().orElseThrow();
        assertThat(hc.interval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(hc.timeout()).isEqualTo(Duration.ofMillis(500));
        Replicated replicated = (Replicated) config.http().services().get("pos");
        assertThat(replicated.sessionKey()).contains(new RequestKey(RequestKey.Source.CLAIM, "sub"));
        assertThat(replicated.replicas().keySet()).containsExactly("cloud", "edge");
        assertThat(replicated.replicas().get("cloud"))
                .isEqualTo(new ServiceConfig.Replica(0, List.of(new UpstreamUrl("http", "cloud.internal", 9000))));
        assertThat(replicated.replicas().get("edge").priority()).isEqualTo(1);
    }

    @Test
    void designExampleWarnsThatHashOnIsIgnoredByRoundRobin() throws IOException {
        ConfigResult result = new ConfigLoader().parse(designExample(), "design.yaml");

        assertThat(result.isValid()).isTrue();
        assertThat(result.warnings()).extracting(ConfigError::toString).containsExactly(
                "http.services.web.loadBalancer.hashOn: ignored: policy roundRobin does not hash (only ringHash and maglev do)");
        assertThat(((LoadBalancer) result.orElseThrow().http().services().get("web")).hashOn()).isEmpty();
    }

    @Test
    void defaultsFillEverythingLeftOut() {
        OutpostConfig config = valid("""
                entryPoints: { web: { address: ":8080" } }
                http:
                  services:
                    lb: { loadBalancer: { endpoints: [ { url: "http://a" } ], healthCheck: { path: /h },
                          outlierDetection: {}, retry: {}, sticky: { cookie: {} } } }
                    rep: { replicated: { replicas: { a: { endpoints: ["http://a:1"] } } } }
                    mir: { mirroring: { service: lb, mirrors: [ { name: rep, percent: 10 } ] } }
                """);

        EntryPointConfig web = config.entryPoints().get("web");
        assertThat(web.graceTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(web.readTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(web.idleTimeout()).isEqualTo(Duration.ofSeconds(180));
        assertThat(config.admin()).isEqualTo(AdminConfig.DEFAULT);
        assertThat(config.admin().address().toString()).isEqualTo("127.0.0.1:8081");
        assertThat(config.journal().dir()).isEqualTo(Path.of("data/journal"));
        assertThat(config.accessLog().enabled()).as("no accessLog section: off, as in Traefik").isFalse();

        LoadBalancer lb = (LoadBalancer) config.http().services().get("lb");
        assertThat(lb.policy()).isEqualTo(LoadBalancerPolicy.ROUND_ROBIN);
        assertThat(lb.overprovisioningFactor()).isEqualTo(1.4);
        assertThat(lb.panicThreshold()).isEqualTo(50);
        assertThat(lb.endpoints().get(0)).isEqualTo(new EndpointConfig(new UpstreamUrl("http", "a", 80), 0, 1));
        assertThat(lb.healthCheck()).contains(new HealthCheckConfig("/h", Duration.ofSeconds(10), Duration.ofSeconds(1),
                Duration.ZERO, new StatusRange(200, 399), 2, 1));
        assertThat(lb.outlierDetection()).contains(new OutlierDetectionConfig(5, 5, Duration.ofSeconds(10),
                Duration.ofSeconds(30), 10));
        RetryConfig retry = lb.retry().orElseThrow();
        assertThat(retry.attempts()).isEqualTo(1);
        assertThat(retry.on()).containsExactlyInAnyOrder(RetryConfig.On.CONNECT_FAILURE, RetryConfig.On.RESET,
                RetryConfig.On.GATEWAY_ERROR);
        assertThat(retry.perTryTimeout()).isEmpty();
        assertThat(retry.backoff()).isEqualTo(new RetryConfig.Backoff(Duration.ofMillis(25), Duration.ofMillis(250)));
        assertThat(retry.methods()).containsExactly("GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE");
        assertThat(lb.circuitBreakers()).isEqualTo(new CircuitBreakersConfig(1024, 1024, 1024, 3));
        assertThat(lb.sticky()).contains(new StickyConfig(new StickyConfig.Cookie("outpost_lb", false, false,
                StickyConfig.SameSite.UNSET, Optional.empty())));
        assertThat(lb.timeouts()).isEqualTo(new TimeoutsConfig(Duration.ofSeconds(5), Duration.ofSeconds(60),
                Duration.ofSeconds(90)));
        assertThat(lb.passHostHeader()).isTrue();

        Replicated rep = (Replicated) config.http().services().get("rep");
        assertThat(rep.sessionKey()).isEmpty();
        assertThat(rep.writeMethods()).containsExactly("POST", "PUT", "PATCH", "DELETE");
        assertThat(rep.maxBodySize()).isEqualTo(1_000_000);
        assertThat(rep.retention()).isEqualTo(Duration.ofHours(1));
        assertThat(rep.notReachedStatuses()).containsExactly(502, 503, 504);
        assertThat(rep.replicas().get("a").priority()).isZero();
        assertThat(rep.healthCheck()).isEmpty();

        ServiceConfig.Mirroring mir = (ServiceConfig.Mirroring) config.http().services().get("mir");
        assertThat(mir.maxBodySize()).isEqualTo(1_000_000);
        assertThat(mir.mirrors()).containsExactly(new ServiceConfig.Mirror("rep", 10));
    }

    @Test
    void everyMiddlewareAndServiceTypeBinds() {
        OutpostConfig config = valid("""
                entryPoints: { web: { address: "127.0.0.1:8080", graceTimeout: 30s }, internal: { address: "127.0.0.1:8082" } }
                admin: { address: "0.0.0.0:9090", auth: { token: "t0ken" } }
                journal: { dir: /var/lib/outpost }
                accessLog: { enabled: false, format: common, path: /var/log/outpost.log }
                http:
                  routers:
                    api: { rule: "Path(`/api`)", service: canary, entryPoints: [internal] }
                  middlewares:
                    strip: { stripPrefix: { prefixes: ["/a", "/b"] } }
                    add: { addPrefix: { prefix: /v1 } }
                    replace: { replacePath: { path: /x } }
                    hdr: { headers: { customRequestHeaders: { X-Edge: store-12, X-Drop: "" }, customResponseHeaders: { Server: "" } } }
                    tls: { redirectScheme: { port: 8443, permanent: true } }
                    lan: { ipAllowList: { sourceRange: ["10.0.0.0/8", "192.168.1.7"] } }
                    cap: { maxBodySize: { limit: 10MB } }
                    conc: { inFlightReq: { amount: 50, sourceCriterion: "header:X-Tenant" } }
                    buf: { buffering: { maxRequestBodyBytes: 1048576 } }
                    cb: { circuitBreaker: { errorRatio: 0.3, latencyThreshold: 800ms, minRequests: 20, window: 30s,
                          fallbackDuration: 5s, recoveryDuration: 15s } }
                    again: { retry: { attempts: 3, initialInterval: 50ms } }
                  services:
                    a:
                      loadBalancer:
                        policy: maglev
                        hashOn: "cookie:sid"
                        overprovisioningFactor: 2
                        panicThreshold: 0
                        endpoints: [ { url: "https://a1:8443", priority: 0, weight: 3 } ]
                        healthCheck: { path: /health, interval: 2s, timeout: 1s, jitter: 100ms, expectedStatus: "200-299",
                                       unhealthyThreshold: 3, healthyThreshold: 2 }
                        outlierDetection: { consecutive5xx: 7, consecutiveGatewayFailure: 3, interval: 5s,
                                            baseEjectionTime: 1m, maxEjectionPercent: 50 }
                        retry: { attempts: 2, on: [5xx, reset], perTryTimeout: 2s, backoff: { base: 10ms, max: 1s },
                                 methods: [get, post] }
                        circuitBreakers: { maxConnections: 10, maxPendingRequests: 0, maxRequests: 20, maxRetries: 1 }
                        sticky: { cookie: { name: lb, secure: true, httpOnly: true, sameSite: strict, maxAge: 1h } }
                        timeouts: { connect: 1s, responseHeader: 5s, idle: 30s }
                        passHostHeader: false
                    b: { loadBalancer: { policy: ringHash, endpoints: [ { url: "http://b" } ] } }
                    canary:
                      weighted: { services: [ { name: a, weight: 9 }, { name: b, weight: 1 } ], sticky: { cookie: { name: c } } }
                    rep:
                      replicated:
                        sessionKey: "header:X-Store"
                        writeMethods: [POST, PUT]
                        maxBodySize: 2MiB
                        retention: 24h
                        notReachedStatuses: [503]
                        replicas: { cloud: { priority: 0, endpoints: ["https://cloud:443", "https://cloud2"] } }
                """);

        assertThat(config.entryPoints().keySet()).containsExactly("web", "internal");
        assertThat(config.entryPoints().get("web").graceTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.admin().auth()).contains(new AdminConfig.Auth("t0ken"));
        assertThat(config.accessLog()).isEqualTo(new AccessLogConfig(false, AccessLogConfig.Format.COMMON, "/var/log/outpost.log"));
        assertThat(config.http().routers().get("api").servesEntryPoint("web")).isFalse();

        Map<String, MiddlewareConfig> m = config.http().middlewares();
        assertThat(m.keySet()).containsExactly("strip", "add", "replace", "hdr", "tls", "lan", "cap", "conc", "buf", "cb", "again");
        assertThat(m.get("add")).isEqualTo(new MiddlewareConfig.AddPrefix("/v1"));
        assertThat(m.get("replace")).isEqualTo(new MiddlewareConfig.ReplacePath("/x"));
        MiddlewareConfig.Headers hdr = (MiddlewareConfig.Headers) m.get("hdr");
        assertThat(hdr.customRequestHeaders()).containsExactly(Map.entry("X-Edge", "store-12"), Map.entry("X-Drop", ""));
        assertThat(hdr.customResponseHeaders()).containsExactly(Map.entry("Server", ""));
        assertThat(m.get("tls")).isEqualTo(new MiddlewareConfig.RedirectScheme("https", OptionalInt.of(8443), true));
        assertThat(m.get("lan")).isEqualTo(new MiddlewareConfig.IpAllowList(
                List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("192.168.1.7/32"))));
        assertThat(m.get("cap")).isEqualTo(new MiddlewareConfig.MaxBodySize(10_000_000));
        assertThat(m.get("conc")).isEqualTo(new MiddlewareConfig.InFlightReq(50, new RequestKey(RequestKey.Source.HEADER, "X-Tenant")));
        assertThat(m.get("buf")).isEqualTo(new MiddlewareConfig.Buffering(1_048_576));
        assertThat(m.get("cb")).isEqualTo(new CircuitBreaker(Optional.of(0.3), Optional.of(Duration.ofMillis(800)), 20,
                Duration.ofSeconds(30), Duration.ofSeconds(5), Duration.ofSeconds(15)));
        assertThat(m.get("again")).isEqualTo(new MiddlewareConfig.Retry(3, Duration.ofMillis(50)));

        LoadBalancer a = (LoadBalancer) config.http().services().get("a");
        assertThat(a.hashOn()).contains(new RequestKey(RequestKey.Source.COOKIE, "sid"));
        assertThat(a.overprovisioningFactor()).isEqualTo(2.0);
        assertThat(a.panicThreshold()).isZero();
        assertThat(a.endpoints()).containsExactly(new EndpointConfig(new UpstreamUrl("https", "a1", 8443), 0, 3));
        assertThat(a.healthCheck().orElseThrow().expectedStatus()).isEqualTo(new StatusRange(200, 299));
        assertThat(a.healthCheck().orElseThrow().jitter()).isEqualTo(Duration.ofMillis(100));
        assertThat(a.outlierDetection()).contains(new OutlierDetectionConfig(7, 3, Duration.ofSeconds(5), Duration.ofMinutes(1), 50));
        assertThat(a.retry()).contains(new RetryConfig(2, Set.of(RetryConfig.On.FIVE_XX, RetryConfig.On.RESET),
                Optional.of(Duration.ofSeconds(2)), new RetryConfig.Backoff(Duration.ofMillis(10), Duration.ofSeconds(1)),
                Set.of("GET", "POST")));
        assertThat(a.circuitBreakers()).isEqualTo(new CircuitBreakersConfig(10, 0, 20, 1));
        assertThat(a.sticky()).contains(new StickyConfig(new StickyConfig.Cookie("lb", true, true, StickyConfig.SameSite.STRICT,
                Optional.of(Duration.ofHours(1)))));
        assertThat(a.timeouts()).isEqualTo(new TimeoutsConfig(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(30)));
        assertThat(a.passHostHeader()).isFalse();
        assertThat(((LoadBalancer) config.http().services().get("b")).hashOn()).contains(RequestKey.CLIENT_IP);

        ServiceConfig.Weighted canary = (ServiceConfig.Weighted) config.http().services().get("canary");
        assertThat(canary.services()).containsExactly(new ServiceConfig.WeightedService("a", 9), new ServiceConfig.WeightedService("b", 1));
        assertThat(canary.sticky().orElseThrow().cookie().name()).isEqualTo("c");

        Replicated rep = (Replicated) config.http().services().get("rep");
        assertThat(rep.sessionKey()).contains(new RequestKey(RequestKey.Source.HEADER, "X-Store"));
        assertThat(rep.writeMethods()).containsExactly("POST", "PUT");
        assertThat(rep.maxBodySize()).isEqualTo(2L << 20);
        assertThat(rep.retention()).isEqualTo(Duration.ofHours(24));
        assertThat(rep.notReachedStatuses()).containsExactly(503);
        assertThat(rep.replicas().get("cloud").endpoints())
                .containsExactly(new UpstreamUrl("https", "cloud", 443), new UpstreamUrl("https", "cloud2", 443));
    }

    @Test
    void mapsKeepFileOrderAndAreImmutable() {
        OutpostConfig config = valid("""
                entryPoints: { z: { address: ":1" }, a: { address: ":2" }, m: { address: ":3" } }
                http:
                  routers:
                    r2: { rule: "Path(`/b`)", service: s }
                    r1: { rule: "Path(`/a`)", service: s }
                  services:
                    s: { loadBalancer: { endpoints: [ { url: "http://s" } ] } }
                """);

        assertThat(config.entryPoints().keySet()).containsExactly("z", "a", "m");
        assertThat(config.http().routers().keySet()).containsExactly("r2", "r1");
        assertThatThrownBy(() -> config.entryPoints().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> config.http().routers().put("x", null)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> config.http().routers().get("r1").middlewares().add("m"))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void ruleCheckerSeesEveryRuleAndAcceptedRulesPass() {
        List<String> seen = new ArrayList<>();
        ConfigResult result = new ConfigLoader(rule -> {
            seen.add(rule);
            return Optional.empty();
        }).parse("""
                entryPoints: { web: { address: ":8080" } }
                http:
                  routers: { a: { rule: "Path(`/a`)", service: s }, b: { rule: "Host(`x`)", service: s } }
                  services: { s: { loadBalancer: { endpoints: [ { url: "http://s" } ] } } }
                """, "t.yaml");

        assertThat(result.isValid()).isTrue();
        assertThat(seen).containsExactly("Path(`/a`)", "Host(`x`)");
    }

    @Test
    void emptySectionsMeanDefaults() {
        OutpostConfig config = valid("""
                entryPoints: { web: { address: ":8080" } }
                admin:
                journal: ~
                http:
                  routers:
                  middlewares:
                  services:
                    s: { weighted: { services: [ { name: t, weight: 1 } ], sticky: { cookie: } } }
                    t: { loadBalancer: { endpoints: [ { url: "http://t" } ] } }
                """);

        assertThat(config.admin()).isEqualTo(AdminConfig.DEFAULT);
        assertThat(config.journal()).isEqualTo(JournalConfig.DEFAULT);
        assertThat(config.http().routers()).isEmpty();
        assertThat(((ServiceConfig.Weighted) config.http().services().get("s")).sticky().orElseThrow().cookie().name())
                .isEqualTo("outpost_s");
    }

    /** Anchors and aliases are plain YAML; an alias must read as the value it names, never as its name. */
    @Test
    void aliasesReadAsTheValuesTheyName() {
        OutpostConfig config = valid("""
                entryPoints: { web: { address: ":8080" } }
                admin: { auth: { token: &token "a-long-admin-token" } }
                http:
                  middlewares:
                    tag: { headers: { customRequestHeaders: { X-Token: *token } } }
                  services:
                    a:
                      loadBalancer:
                        endpoints: [ { url: &url "http://a:9000" } ]
                        healthCheck: &hc { path: /health, interval: 2s }
                    b:
                      loadBalancer:
                        endpoints: [ { url: *url, weight: 2 } ]
                        healthCheck: *hc
                """);

        assertThat(config.admin().auth().orElseThrow().token()).isEqualTo("a-long-admin-token");
        assertThat(((MiddlewareConfig.Headers) config.http().middlewares().get("tag")).customRequestHeaders())
                .containsEntry("X-Token", "a-long-admin-token");
        LoadBalancer b = (LoadBalancer) config.http().services().get("b");
        assertThat(b.endpoints().get(0).url()).isEqualTo(UpstreamUrl.parse("http://a:9000"));
        assertThat(b.healthCheck().orElseThrow().interval()).isEqualTo(Duration.ofSeconds(2));
    }

    /** The merge key {@code <<} copies a mapping's entries; keys written beside it win. */
    @Test
    void mergeKeysCopyEntriesThatAreNotWrittenBesideThem() {
        OutpostConfig config = valid("""
                entryPoints: { web: { address: ":8080" } }
                http:
                  services:
                    a:
                      loadBalancer: &base
                        policy: leastRequest
                        endpoints: [ { url: "http://a:9000" } ]
                        healthCheck: { path: /health }
                    b:
                      loadBalancer:
                        <<: *base
                        policy: random
                """);

        LoadBalancer b = (LoadBalancer) config.http().services().get("b");
        assertThat(b.policy()).isEqualTo(LoadBalancerPolicy.RANDOM);
        assertThat(b.endpoints()).hasSize(1);
        assertThat(b.healthCheck()).isPresent();
    }
}
