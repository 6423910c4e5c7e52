package io.outpost.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What a key with an empty value means. An empty string is never taken for "not set": a template
 * that left {@code dir: ""} behind must not quietly write the journal to the default directory. A key
 * with no value at all ({@code accessLog:}) is the section with its defaults, as {@code accessLog: {}} is.
 */
class EmptyValuesTest {

    private static final String EP = "entryPoints: { web: { address: \":8080\" } }\n";
    private static final String HASH = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";

    private static List<String> errors(String yaml) {
        ConfigResult result = new ConfigLoader().parse(yaml, "test.yaml");
        assertThat(result.isValid()).as("expected errors").isFalse();
        return result.errors().stream().map(ConfigError::toString).toList();
    }

    private static OutpostConfig valid(String yaml) {
        ConfigResult result = new ConfigLoader().parse(yaml, "test.yaml");
        assertThat(result.errors()).isEmpty();
        return result.orElseThrow();
    }

    @Test
    void anEmptyStringAtTheTopLevelIsAnErrorNotTheDefault() {
        assertThat(errors("""
                entryPoints:
                  web: { address: "", readTimeout: "", forwardedHeaders: { trustedIPs: [""], insecure: "" } }
                admin: { address: "", auth: { token: "" } }
                journal: { dir: "" }
                accessLog: { enabled: "", format: "", path: "" }
                """)).containsExactly(
                "entryPoints.web.address: must not be empty",
                "entryPoints.web.readTimeout: must not be empty",
                "entryPoints.web.forwardedHeaders.trustedIPs[0]: must not be empty",
                "entryPoints.web.forwardedHeaders.insecure: must not be empty",
                "admin.address: must not be empty",
                "admin.auth.token: must not be empty",
                "journal.dir: must not be empty",
                "accessLog.enabled: must not be empty",
                "accessLog.format: must not be empty",
                "accessLog.path: must not be empty");
    }

    @Test
    void onlySpacesAreAsEmptyAsNothing() {
        assertThat(errors(EP + """
                admin: { auth: { token: "  " } }
                journal: { dir: " " }
                accessLog: { path: "\\t" }
                """)).containsExactly(
                "admin.auth.token: must not be empty",
                "journal.dir: must not be empty",
                "accessLog.path: must not be empty");
    }

    @Test
    void anEmptyStringInARouterIsAnError() {
        assertThat(errors(EP + """
                http:
                  routers:
                    r: { rule: "", service: "", middlewares: [""], priority: "", entryPoints: [""], allow: [""],
                         tls: { certResolver: "", domains: [""] } }
                """)).containsExactly(
                "http.routers.r.rule: must not be empty",
                "http.routers.r.service: must not be empty",
                "http.routers.r.middlewares[0]: must not be empty",
                "http.routers.r.priority: must not be empty",
                "http.routers.r.entryPoints[0]: must not be empty",
                "http.routers.r.allow[0]: must not be empty",
                "http.routers.r.tls.certResolver: must not be empty",
                "http.routers.r.tls.domains[0]: must not be empty");
    }

    @Test
    void anEmptyStringInALoadBalancerIsAnError() {
        assertThat(errors(EP + """
                http:
                  services:
                    s:
                      loadBalancer:
                        policy: ""
                        hashOn: ""
                        endpoints: [ { url: "" }, { url: "http://b", weight: "" } ]
                        healthCheck: { path: "", interval: "", expectedStatus: "" }
                        sticky: { cookie: { name: "", sameSite: "" } }
                        timeouts: { connect: "" }
                        tls: { serverName: "", caFiles: [""] }
                """)).containsExactly(
                "http.services.s.loadBalancer.policy: must not be empty",
                "http.services.s.loadBalancer.hashOn: must not be empty",
                "http.services.s.loadBalancer.endpoints[0].url: must not be empty",
                "http.services.s.loadBalancer.endpoints[1].weight: must not be empty",
                "http.services.s.loadBalancer.healthCheck.path: must not be empty",
                "http.services.s.loadBalancer.healthCheck.interval: must not be empty",
                "http.services.s.loadBalancer.healthCheck.expectedStatus: must not be empty",
                "http.services.s.loadBalancer.sticky.cookie.name: must not be empty",
                "http.services.s.loadBalancer.sticky.cookie.sameSite: must not be empty",
                "http.services.s.loadBalancer.timeouts.connect: must not be empty",
                "http.services.s.loadBalancer.tls.serverName: must not be empty",
                "http.services.s.loadBalancer.tls.caFiles[0]: must not be empty");
    }

    /** {@code sessionKey: ""} was read as absent: one session for the whole service, with no word said. */
    @Test
    void anEmptyStringInOtherServicesIsAnError() {
        assertThat(errors(EP + """
                http:
                  services:
                    r:
                      replicated:
                        sessionKey: ""
                        retention: ""
                        maxBodySize: ""
                        replicas: { a: { endpoints: [""] } }
                    w: { weighted: { services: [ { name: "", weight: 1 } ] } }
                    m: { mirroring: { service: "", mirrors: [ { name: "" } ] } }
                """)).containsExactly(
                "http.services.r.replicated.sessionKey: must not be empty",
                "http.services.r.replicated.retention: must not be empty",
                "http.services.r.replicated.maxBodySize: must not be empty",
                "http.services.r.replicated.replicas.a.endpoints[0]: must not be empty",
                "http.services.w.weighted.services[0].name: must not be empty",
                "http.services.m.mirroring.service: must not be empty",
                "http.services.m.mirroring.mirrors[0].name: must not be empty");
    }

    @Test
    void anEmptyStringInAMiddlewareIsAnError() {
        assertThat(errors(EP + """
                http:
                  middlewares:
                    a: { addPrefix: { prefix: "" } }
                    p: { replacePath: { path: "" } }
                    s: { stripPrefix: { prefixes: [""] } }
                    f: { inFlightReq: { amount: 1, sourceCriterion: "" } }
                    cb: { circuitBreaker: { errorRatio: "" } }
                    k: { apiKey: { header: "", query: "", keys: [ { consumer: "", sha256: "" } ] } }
                    b: { basicAuth: { users: ["u:%s"], realm: "" } }
                    fa: { forwardAuth: { address: "" } }
                    j: { jwt: { secret: "", issuer: "", audience: "" } }
                    rl: { rateLimit: { average: 1, sourceCriterion: "" } }
                    q: { quota: { limit: 1, key: "" } }
                """.formatted(HASH))).containsExactly(
                "http.middlewares.a.addPrefix.prefix: must not be empty",
                "http.middlewares.p.replacePath.path: must not be empty",
                "http.middlewares.s.stripPrefix.prefixes[0]: must not be empty",
                "http.middlewares.f.inFlightReq.sourceCriterion: must not be empty",
                "http.middlewares.cb.circuitBreaker.errorRatio: must not be empty",
                "http.middlewares.k.apiKey.header: must not be empty",
                "http.middlewares.k.apiKey.query: must not be empty",
                "http.middlewares.k.apiKey.keys[0].consumer: must not be empty",
                "http.middlewares.k.apiKey.keys[0].sha256: must not be empty",
                "http.middlewares.b.basicAuth.realm: must not be empty",
                "http.middlewares.fa.forwardAuth.address: must not be empty",
                "http.middlewares.j.jwt.secret: must not be empty",
                "http.middlewares.j.jwt.issuer: must not be empty",
                "http.middlewares.j.jwt.audience: must not be empty",
                "http.middlewares.rl.rateLimit.sourceCriterion: must not be empty",
                "http.middlewares.q.quota.key: must not be empty");
    }

    @Test
    void anEmptyStringInTlsAndAcmeIsAnError() {
        assertThat(errors("""
                entryPoints:
                  web:
                    address: ":8080"
                    tls: { minVersion: "", certificates: [ { certFile: "", keyFile: "" } ], clientAuth: { mode: "", caFiles: [""] } }
                certificatesResolvers:
                  le: { acme: { email: "", storage: "", caServer: "", httpChallenge: { entryPoint: "" } } }
                """)).containsExactly(
                "entryPoints.web.tls.minVersion: must not be empty",
                "entryPoints.web.tls.certificates[0].certFile: must not be empty",
                "entryPoints.web.tls.certificates[0].keyFile: must not be empty",
                "entryPoints.web.tls.clientAuth.mode: must not be empty",
                "entryPoints.web.tls.clientAuth.caFiles[0]: must not be empty",
                "certificatesResolvers.le.acme.email: must not be empty",
                "certificatesResolvers.le.acme.storage: must not be empty",
                "certificatesResolvers.le.acme.caServer: must not be empty",
                "certificatesResolvers.le.acme.httpChallenge.entryPoint: must not be empty");
    }

    /** A list or a section written as {@code ""} is the wrong type, and says so. */
    @Test
    void anEmptyStringWhereAListOrSectionGoesIsTheWrongType() {
        assertThat(errors(EP + """
                accessLog: ""
                http:
                  routers: { r: { rule: "Path(`/`)", service: s, middlewares: "" } }
                  services: { s: { loadBalancer: { endpoints: [ { url: "http://s" } ], healthCheck: "" } } }
                """)).containsExactly(
                "accessLog: expected a mapping, found an empty string",
                "http.routers.r.middlewares: expected a list, found an empty string",
                "http.services.s.loadBalancer.healthCheck: expected a mapping, found an empty string");
    }

    /** In {@code headers}, as in Traefik, an empty value is one: it removes the header. */
    @Test
    void anEmptyHeaderValueStillRemovesTheHeader() {
        OutpostConfig config = valid(EP + """
                http: { middlewares: { h: { headers: { customRequestHeaders: { X-Drop: "", X-Space: " " } } } } }
                """);

        assertThat(((MiddlewareConfig.Headers) config.http().middlewares().get("h")).customRequestHeaders())
                .containsExactly(java.util.Map.entry("X-Drop", ""), java.util.Map.entry("X-Space", " "));
    }

    /** {@code key:} with nothing after it (YAML null) leaves a value unset: it takes its default. */
    @Test
    void aValueKeyWithNoValueTakesItsDefault() {
        OutpostConfig config = valid(EP + """
                journal: { dir: }
                accessLog: { path: ~, format: }
                """);

        assertThat(config.journal()).isEqualTo(JournalConfig.DEFAULT);
        assertThat(config.accessLog()).isEqualTo(AccessLogConfig.DEFAULT);
    }

    /** As in Traefik, a bare {@code accessLog:} turns the access log on, exactly as {@code accessLog: {}} does. */
    @Test
    void aBareAccessLogKeyTurnsTheAccessLogOn() {
        assertThat(valid(EP + "accessLog:\n").accessLog()).isEqualTo(AccessLogConfig.DEFAULT);
        assertThat(valid(EP + "accessLog: ~\n").accessLog()).isEqualTo(AccessLogConfig.DEFAULT);
        assertThat(valid(EP + "accessLog: {}\n").accessLog()).isEqualTo(AccessLogConfig.DEFAULT);
        assertThat(valid(EP).accessLog()).isEqualTo(AccessLogConfig.OFF);
    }

    /** Sections whose presence turns something on are on, with their defaults, when written bare. */
    @Test
    void aBareSectionIsTheSectionWithItsDefaults() {
        OutpostConfig config = valid("""
                entryPoints:
                  web: { address: ":8080", forwardedHeaders: }
                  websecure:
                    address: ":8443"
                    tls:
                http:
                  routers:
                    r:
                      rule: "Path(`/`)"
                      service: s
                      tls:
                  middlewares:
                    buf: { buffering: }
                  services:
                    s:
                      loadBalancer:
                        endpoints: [ { url: "https://s" } ]
                        outlierDetection:
                        retry: { attempts: 2, backoff: }
                        circuitBreakers:
                        timeouts:
                        tls:
                    t:
                      loadBalancer:
                        endpoints: [ { url: "http://t" } ]
                        retry:
                """);

        assertThat(config.entryPoints().get("web").forwardedHeaders()).isEqualTo(EntryPointConfig.ForwardedHeaders.NONE);
        assertThat(config.entryPoints().get("websecure").tls())
                .contains(new TlsConfig.EntryPoint(List.of(), TlsConfig.TLS_1_2, List.of(), Optional.empty()));
        assertThat(config.http().routers().get("r").tls()).contains(new TlsConfig.Router(Optional.empty(), List.of()));
        assertThat(config.http().middlewares().get("buf")).isEqualTo(
                new MiddlewareConfig.Buffering(MiddlewareConfig.Buffering.DEFAULT_MAX_REQUEST_BODY_BYTES));
        ServiceConfig.LoadBalancer s = (ServiceConfig.LoadBalancer) config.http().services().get("s");
        assertThat(s.outlierDetection()).contains(OutlierDetectionConfig.DEFAULT);
        assertThat(s.retry().orElseThrow().backoff()).isEqualTo(RetryConfig.Backoff.DEFAULT);
        assertThat(s.circuitBreakers()).isEqualTo(CircuitBreakersConfig.DEFAULT);
        assertThat(s.timeouts()).isEqualTo(TimeoutsConfig.DEFAULT);
        assertThat(s.tls()).contains(TlsConfig.Upstream.DEFAULT);
        ServiceConfig.LoadBalancer t = (ServiceConfig.LoadBalancer) config.http().services().get("t");
        assertThat(t.retry().orElseThrow().attempts()).isEqualTo(RetryConfig.DEFAULT_ATTEMPTS);
    }

    /**
     * A bare section that needs a key is an error, not silently off: {@code auth:} asks for a token,
     * {@code healthCheck:} for checks, {@code clientAuth:} for client certificates.
     */
    @Test
    void aBareSectionThatNeedsAKeyIsAnError() {
        assertThat(errors("""
                entryPoints:
                  web:
                    address: ":8080"
                    tls:
                      clientAuth:
                admin:
                  auth:
                http:
                  services:
                    s:
                      loadBalancer:
                        endpoints: [ { url: "http://s" } ]
                        healthCheck:
                        sticky:
                    r:
                      replicated:
                        replicas: { a: { endpoints: ["http://a"] } }
                        healthCheck:
                  middlewares:
                    strip: { stripPrefix: }
                certificatesResolvers:
                  le:
                    acme:
                """)).containsExactly(
                "entryPoints.web.tls.clientAuth.caFiles: is required when mode is require "
                        + "(expected: PEM files of the CAs that sign client certificates)",
                "admin.auth: missing required key 'token'",
                "http.services.s.loadBalancer.healthCheck: missing required key 'path'",
                "http.services.s.loadBalancer.sticky: missing required key 'cookie'",
                "http.services.r.replicated.healthCheck: missing required key 'path'",
                "http.middlewares.strip.stripPrefix: missing required key 'prefixes'",
                "certificatesResolvers.le.acme: missing required key 'storage'",
                "certificatesResolvers.le.acme.httpChallenge: is required (expected: httpChallenge: { entryPoint: web })");
    }

    @Test
    void aBareTlsChallengeIsStillRefused() {
        assertThat(errors(EP + """
                certificatesResolvers:
                  le: { acme: { storage: acme.json, httpChallenge: { entryPoint: web }, tlsChallenge: } }
                """)).containsExactly("certificatesResolvers.le.acme.tlsChallenge: is not supported yet (expected: httpChallenge)");
    }
}
