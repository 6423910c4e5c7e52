package io.outpost.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One test per kind of error; each asserts the exact line a user sees. */
class ConfigErrorsTest {

    private static final String EP = "entryPoints: { web: { address: \":8080\" } }\n";
    private static final String LB = "{ loadBalancer: { endpoints: [ { url: \"http://s\" } ] } }";

    private static List<String> errors(String yaml) {
        ConfigResult result = new ConfigLoader().parse(yaml, "test.yaml");
        assertThat(result.isValid()).as("expected errors").isFalse();
        return result.errors().stream().map(ConfigError::toString).toList();
    }

    private static List<String> errorsIn(String services) {
        return errors(EP + "http:\n  services:\n" + services.indent(4));
    }

    @Test
    void badEndpointUrlInReplica() {
        assertThat(errorsIn("pos: { replicated: { replicas: { cloud: { endpoints: [\"htp://x\"] } } } }"))
                .containsExactly("http.services.pos.replicated.replicas.cloud.endpoints[0]: \"htp://x\" is not an http(s) URL");
    }

    @Test
    void endpointUrlWithAPath() {
        assertThat(errorsIn("s: { loadBalancer: { endpoints: [ { url: \"http://a/api\" } ] } }")).containsExactly(
                "http.services.s.loadBalancer.endpoints[0].url: \"http://a/api\" must be scheme://host[:port] only (the request's path is forwarded as is)");
    }

    @Test
    void aDurationTooLongForTheClockIsAnErrorNotACrash() {
        assertThat(errorsIn("s: { loadBalancer: { endpoints: [ { url: \"http://s\" } ], "
                + "healthCheck: { path: /h, interval: 99999999999999h } } }")).containsExactly(
                "http.services.s.loadBalancer.healthCheck.interval: \"99999999999999h\" is too long "
                        + "(expected: a duration under 292 years)");
    }

    @Test
    void sizesAndFactorsTooLargeToHoldAreErrorsNotWrappedValues() {
        assertThat(errorsIn("""
                m: { mirroring: { service: s, maxBodySize: 18446744073709551617 } }
                n: { mirroring: { service: s, maxBodySize: "99999999999GiB" } }
                o: { mirroring: { service: s, maxBodySize: "1.5" } }
                s: { loadBalancer: { endpoints: [ { url: "http://s" } ], overprovisioningFactor: 1e400 } }
                """)).containsExactly(
                "http.services.m.mirroring.maxBodySize: 18446744073709551617 is too large "
                        + "(expected: at most 9223372036854775807 bytes)",
                "http.services.n.mirroring.maxBodySize: \"99999999999GiB\" is too large "
                        + "(expected: at most 9223372036854775807 bytes)",
                "http.services.o.mirroring.maxBodySize: \"1.5\" is not a whole number of bytes",
                "http.services.s.loadBalancer.overprovisioningFactor: Infinity (expected: a finite number >= 1)");
    }

    @Test
    void endpointUrlWithAPortOutOfRangeOrAHostThatIsNoHostName() {
        assertThat(errorsIn("""
                s: { loadBalancer: { endpoints: [ { url: "http://a:99999" }, { url: "http://a:0" }, { url: "http://my_app:80" } ] } }
                """)).containsExactly(
                "http.services.s.loadBalancer.endpoints[0].url: \"http://a:99999\" has a port out of range (expected: 1-65535)",
                "http.services.s.loadBalancer.endpoints[1].url: \"http://a:0\" has a port out of range (expected: 1-65535)",
                "http.services.s.loadBalancer.endpoints[2].url: \"http://my_app:80\" has no valid host name "
                        + "(expected: letters, digits, '-' and '.', or an IP address, for example \"http://10.0.0.1:9000\")");
    }

    @Test
    void aPathTheFileSystemCannotTakeIsAnErrorNotACrash() {
        assertThat(errors(EP + """
                journal: { dir: "data\\0journal" }
                accessLog: { path: "access\\0.log" }
                http: { middlewares: { j: { jwt: { jwksFile: "jwks\\0.json" } } } }
                """)).containsExactly(
                "journal.dir: \"data\u0000journal\" is not a file path",
                "accessLog.path: \"access\u0000.log\" is not a file path",
                "http.middlewares.j.jwt.jwksFile: \"jwks\u0000.json\" is not a file path");
    }

    /** The path goes into the probe's request line as written: a space there makes every probe a 400. */
    @Test
    void aHealthCheckPathThatCannotGoInARequestLine() {
        assertThat(errorsIn("""
                a: { loadBalancer: { endpoints: [ { url: "http://a" } ], healthCheck: { path: "/health check" } } }
                b: { loadBalancer: { endpoints: [ { url: "http://b" } ], healthCheck: { path: "/health#top" } } }
                c: { loadBalancer: { endpoints: [ { url: "http://c" } ], healthCheck: { path: "/sant\u00e9?full=1" } } }
                d: { loadBalancer: { endpoints: [ { url: "http://d" } ], healthCheck: { path: "/health?full=1" } } }
                """)).containsExactly(
                "http.services.a.loadBalancer.healthCheck.path: \"/health check\" must not contain whitespace, control "
                        + "characters, '#' or non-ASCII characters (expected: a path such as /health, %-encoded where needed)",
                "http.services.b.loadBalancer.healthCheck.path: \"/health#top\" must not contain whitespace, control "
                        + "characters, '#' or non-ASCII characters (expected: a path such as /health, %-encoded where needed)",
                "http.services.c.loadBalancer.healthCheck.path: \"/sant\u00e9?full=1\" must not contain whitespace, control "
                        + "characters, '#' or non-ASCII characters (expected: a path such as /health, %-encoded where needed)");
    }

    @Test
    void unknownKeyNamesTheExpectedOnes() {
        assertThat(errors(EP + "http: { routers: { api: { rul: \"Path(`/`)\", service: s } }, services: { s: " + LB + " } }"))
                .containsExactly(
                        "http.routers.api: unknown key 'rul' (expected one of rule, service, middlewares, priority, entryPoints, allow, tls)",
                        "http.routers.api: missing required key 'rule'");
    }

    @Test
    void forwardedHeadersOfAnEntryPoint() {
        assertThat(errors("""
                entryPoints:
                  web:
                    address: ":8080"
                    forwardedHeaders: { trustedIPs: ["10.0.0.0/8", "10.0.0.300"], insecure: "yes", trusted: [] }
                """)).containsExactly(
                "entryPoints.web.forwardedHeaders: unknown key 'trusted' (expected one of trustedIPs, insecure)",
                "entryPoints.web.forwardedHeaders.trustedIPs[1]: \"10.0.0.300\" is not an IP range (expected: for example \"10.0.0.0/8\" or \"192.168.1.7\")",
                "entryPoints.web.forwardedHeaders.insecure: expected true or false, found a string (\"yes\")");
    }

    @Test
    void forwardedHeadersAreParsedWithTheirDefaults() {
        ConfigResult result = new ConfigLoader().parse("""
                entryPoints:
                  a: { address: ":9080", forwardedHeaders: { trustedIPs: ["10.0.0.0/8", "fd00::/8"] } }
                  b: { address: ":9081", forwardedHeaders: { insecure: true } }
                  c: { address: ":9082" }
                """, "t.yaml");
        assertThat(result.errors()).isEmpty();
        var eps = result.orElseThrow().entryPoints();
        assertThat(eps.get("a").forwardedHeaders().trustedIPs()).extracting(Cidr::toString)
                .containsExactly("10.0.0.0/8", "fd00:0:0:0:0:0:0:0/8");
        assertThat(eps.get("a").forwardedHeaders().insecure()).isFalse();
        assertThat(eps.get("b").forwardedHeaders().insecure()).isTrue();
        assertThat(eps.get("c").forwardedHeaders()).isEqualTo(EntryPointConfig.ForwardedHeaders.NONE);
    }

    @Test
    void unknownServiceOfARouter() {
        assertThat(errors(EP + "http: { routers: { api: { rule: \"Path(`/`)\", service: nope } } }"))
                .containsExactly("http.routers.api.service: unknown service 'nope'");
    }

    @Test
    void unknownMiddlewareOfARouter() {
        assertThat(errors(EP + """
                http:
                  routers: { api: { rule: "Path(`/`)", service: s, middlewares: [m, x] } }
                  middlewares: { m: { addPrefix: { prefix: /a } } }
                  services: { s: %s }
                """.formatted(LB))).containsExactly("http.routers.api.middlewares[1]: unknown middleware 'x'");
    }

    @Test
    void unknownEntryPointOfARouter() {
        assertThat(errors(EP + "http: { routers: { api: { rule: \"Path(`/`)\", service: s, entryPoints: [webs] } }, services: { s: "
                + LB + " } }")).containsExactly("http.routers.api.entryPoints[0]: unknown entry point 'webs'");
    }

    @Test
    void ruleErrorsComeFromTheRuleChecker() {
        ConfigResult result = new ConfigLoader(rule -> rule.contains("((") ? Optional.of("unbalanced '(' at 5") : Optional.empty())
                .parse(EP + "http: { routers: { api: { rule: \"Path((\", service: s } }, services: { s: " + LB + " } }", "t.yaml");

        assertThat(result.errors()).extracting(ConfigError::toString)
                .containsExactly("http.routers.api.rule: unbalanced '(' at 5");
    }

    @Test
    void twoMiddlewareTypesInOneEntry() {
        assertThat(errors(EP + "http: { middlewares: { m: { stripPrefix: { prefixes: [/a] }, addPrefix: { prefix: /b } } } }"))
                .containsExactly("http.middlewares.m: expected exactly one middleware type, found 2 (stripPrefix, addPrefix)");
    }

    @Test
    void unknownMiddlewareType() {
        assertThat(errors(EP + "http: { middlewares: { m: { compress: { level: 5 } } } }")).containsExactly(
                "http.middlewares.m: unknown middleware type 'compress' (expected one of "
                        + String.join(", ", MiddlewareBinder.TYPES) + ")",
                "http.middlewares.m: expected exactly one middleware type, found 0");
        assertThat(MiddlewareBinder.TYPES).contains("stripPrefix", "buffering", "circuitBreaker", "jwt", "rateLimit");
    }

    @Test
    void middlewareFieldErrors() {
        assertThat(errors(EP + """
                http:
                  middlewares:
                    strip: { stripPrefix: { prefixes: [pos] } }
                    lan: { ipAllowList: { sourceRange: ["10.0.0.0/40"] } }
                    tls: { redirectScheme: { scheme: ftp } }
                    conc: { inFlightReq: { amount: 0, sourceCriterion: "cookie:x" } }
                    cb: { circuitBreaker: { errorRatio: 1.5 } }
                    again: { retry: {} }
                """)).containsExactly(
                "http.middlewares.strip.stripPrefix.prefixes[0]: \"pos\" must start with '/'",
                "http.middlewares.lan.ipAllowList.sourceRange[0]: \"10.0.0.0/40\" is not an IP range (expected: for example \"10.0.0.0/8\" or \"192.168.1.7\")",
                "http.middlewares.tls.redirectScheme.scheme: 'ftp' (expected one of http, https)",
                "http.middlewares.conc.inFlightReq.amount: 0 (expected: >= 1)",
                "http.middlewares.conc.inFlightReq.sourceCriterion: \"cookie:x\" is not a request key (expected: header:NAME, clientIp)",
                "http.middlewares.cb.circuitBreaker.errorRatio: 1.5 (expected: > 0 and <= 1)",
                "http.middlewares.again.retry: missing required key 'attempts'");
    }

    @Test
    void badDuration() {
        assertThat(errors("entryPoints: { web: { address: \":8080\", graceTimeout: 10 } }"))
                .containsExactly("entryPoints.web.graceTimeout: \"10\" has no unit (expected: a duration such as \"10s\" or \"10ms\")");
        assertThat(errorsIn("s: { loadBalancer: { endpoints: [ { url: \"http://s\" } ], timeouts: { connect: 5 sec } } }"))
                .containsExactly("http.services.s.loadBalancer.timeouts.connect: \"5 sec\" is not a duration "
                        + "(expected: a number with a unit ns, us, ms, s, m or h, such as \"1m30s\")");
    }

    @Test
    void badSize() {
        assertThat(errors(EP + "http: { middlewares: { cap: { maxBodySize: { limit: 10XB } } } }")).containsExactly(
                "http.middlewares.cap.maxBodySize.limit: \"10XB\" has an unknown unit 'XB' (expected: B, KB, MB, GB, KiB, MiB or GiB)");
        assertThat(errors(EP + "http: { middlewares: { cap: { maxBodySize: { limit: 0 } } } }"))
                .containsExactly("http.middlewares.cap.maxBodySize.limit: 0 (expected: a size > 0)");
    }

    @Test
    void wrongYamlTypes() {
        assertThat(errors("entryPoints: [web]")).containsExactly("entryPoints: expected a mapping, found a list");
        assertThat(errors(EP + "accessLog: { enabled: \"yes\" }"))
                .containsExactly("accessLog.enabled: expected true or false, found a string (\"yes\")");
        assertThat(errors(EP + "http: { routers: { api: { rule: \"Path(`/`)\", service: s, priority: high, middlewares: m } },"
                + " services: { s: " + LB + " } }")).containsExactly(
                "http.routers.api.priority: expected an integer, found a string (\"high\")",
                "http.routers.api.middlewares: expected a list, found a string (\"m\")");
        assertThat(errors("- a\n- b\n")).containsExactly("test.yaml: expected a mapping at the top level, found a list");
        assertThat(errors(EP + "http: { middlewares: { m: } }")).containsExactly("http.middlewares.m: expected a mapping, found nothing");
    }

    @Test
    void yamlSyntaxErrorHasLineAndColumn() {
        assertThat(errors("entryPoints:\n  web: { address: \":8080\"\n  other: 1\n")).singleElement()
                .asString().startsWith("test.yaml: YAML syntax error at line 3, column ");
        assertThat(errors("admin: { address: \":1\" }\nadmin: { address: \":2\" }\n")).singleElement()
                .asString().isEqualTo("test.yaml: YAML syntax error at line 2, column 6: Duplicate field 'admin'");
        assertThat(errors("")).containsExactly("test.yaml: the configuration is empty");
    }

    @Test
    void aFileOfOnlyCommentsOrADocumentMarkerIsEmpty() {
        assertThat(errors("# nothing yet\n")).containsExactly("test.yaml: the configuration is empty");
        assertThat(errors("---\n")).containsExactly("test.yaml: the configuration is empty");
    }

    /** Only the first document would be read: the rest of the file would be ignored without a word. */
    @Test
    void aSecondYamlDocumentIsAnError() {
        assertThat(errors(EP + "---\nadmin: { address: \"127.0.0.1:9\" }\n")).containsExactly(
                "test.yaml: the file holds a second YAML document, from line 3 (expected: one document per file)");
    }

    @Test
    void anAliasToNoAnchorIsAnError() {
        assertThat(errors(EP + "admin: { auth: { token: *missing } }\n")).containsExactly(
                "test.yaml: YAML syntax error at line 2, column 25: found undefined alias missing");
    }

    /** A few lines that expand to billions of values through aliases are refused, not expanded. */
    @Test
    void aliasesThatExpandBeyondAMillionValuesAreAnError() {
        StringBuilder yaml = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i < 10; i++) {
            yaml.append("a").append(i).append(": &a").append(i).append(" [");
            yaml.append(("*a" + (i - 1) + ", ").repeat(9)).append("*a").append(i - 1).append("]\n");
        }
        assertThat(errors(yaml.toString())).singleElement().asString()
                .startsWith("test.yaml: YAML syntax error at line ").endsWith(
                        ": aliases expand the file to more than 1000000 values (expected: a configuration, not a YAML bomb)");
    }

    @Test
    void unknownPolicy() {
        assertThat(errorsIn("s: { loadBalancer: { policy: fastest, endpoints: [ { url: \"http://s\" } ] } }")).containsExactly(
                "http.services.s.loadBalancer.policy: unknown policy 'fastest' (expected one of roundRobin, leastRequest, random, ringHash, maglev)");
    }

    @Test
    void hashOnWithAPolicyThatDoesNotHashIsAWarning() {
        ConfigResult result = new ConfigLoader().parse(EP + "http: { services: { s: { loadBalancer: { policy: leastRequest,"
                + " hashOn: clientIp, endpoints: [ { url: \"http://s\" } ] } } } }", "t.yaml");

        assertThat(result.isValid()).isTrue();
        assertThat(result.warnings()).extracting(ConfigError::toString).containsExactly(
                "http.services.s.loadBalancer.hashOn: ignored: policy leastRequest does not hash (only ringHash and maglev do)");
    }

    @Test
    void badHashOn() {
        assertThat(errorsIn("s: { loadBalancer: { policy: ringHash, hashOn: \"body:x\", endpoints: [ { url: \"http://s\" } ] } }"))
                .containsExactly("http.services.s.loadBalancer.hashOn: \"body:x\" is not a request key "
                        + "(expected: header:NAME, cookie:NAME, query:NAME, claim:NAME, clientIp)");
    }

    @Test
    void factorBelowOne() {
        assertThat(errorsIn("s: { loadBalancer: { overprovisioningFactor: 0.9, endpoints: [ { url: \"http://s\" } ] } }"))
                .containsExactly("http.services.s.loadBalancer.overprovisioningFactor: 0.9 (expected: >= 1)");
    }

    @Test
    void zeroOrNegativeWeights() {
        assertThat(errorsIn("s: { loadBalancer: { endpoints: [ { url: \"http://a\", weight: 0 }, { url: \"http://b\", weight: -1 } ] } }"))
                .containsExactly("http.services.s.loadBalancer.endpoints[0].weight: 0 (expected: a weight > 0)",
                        "http.services.s.loadBalancer.endpoints[1].weight: -1 (expected: a weight > 0)");
        assertThat(errorsIn("w: { weighted: { services: [ { name: s, weight: 0 } ] } }\ns: " + LB))
                .containsExactly("http.services.w.weighted.services[0].weight: 0 (expected: a weight > 0)");
    }

    @Test
    void mirrorNamingItsOwnService() {
        assertThat(errorsIn("m: { mirroring: { service: s, mirrors: [ { name: m, percent: 10 } ] } }\ns: " + LB))
                .containsExactly("http.services.m.mirroring.mirrors[0].name: service 'm' cannot send traffic to itself");
        assertThat(errorsIn("m: { mirroring: { service: s, mirrors: [ { name: s, percent: 10 } ] } }\ns: " + LB))
                .containsExactly("http.services.m.mirroring.mirrors[0].name: mirror 's' is the mirrored service itself");
    }

    @Test
    void mirrorPercentOutOfRange() {
        assertThat(errorsIn("m: { mirroring: { service: s, mirrors: [ { name: t, percent: 101 } ] } }\ns: " + LB + "\nt: " + LB))
                .containsExactly("http.services.m.mirroring.mirrors[0].percent: 101 (expected: 0-100)");
    }

    @Test
    void cycleInTheServiceGraphIsReportedWithItsPath() {
        assertThat(errorsIn("""
                a: { weighted: { services: [ { name: b, weight: 1 }, { name: s, weight: 1 } ] } }
                b: { mirroring: { service: c, mirrors: [] } }
                c: { weighted: { services: [ { name: a, weight: 1 } ] } }
                s: %s
                """.formatted(LB))).containsExactly("http.services.a.weighted: services form a cycle: a -> b -> c -> a");
    }

    @Test
    void referencesToMissingServices() {
        assertThat(errorsIn("""
                w: { weighted: { services: [ { name: s, weight: 1 }, { name: ghost, weight: 1 } ] } }
                m: { mirroring: { service: nowhere, mirrors: [ { name: s, percent: 5 } ] } }
                s: %s
                """.formatted(LB))).containsExactly(
                "http.services.w.weighted.services[1].name: unknown service 'ghost'",
                "http.services.m.mirroring.service: unknown service 'nowhere'");
    }

    @Test
    void duplicateEntryPointAddresses() {
        assertThat(errors("entryPoints: { a: { address: \"127.0.0.1:8080\" }, b: { address: \"0.0.0.0:8080\" } }"))
                .containsExactly("entryPoints.b.address: 0.0.0.0:8080 is already used by entry point 'a'");
        assertThat(errors(EP + "admin: { address: \"127.0.0.1:8080\" }"))
                .containsExactly("admin.address: 127.0.0.1:8080 is already used by entry point 'web'");
    }

    @Test
    void addressThatIsNotHostPort() {
        assertThat(errors("entryPoints: { web: { address: \"localhost\" } }")).containsExactly(
                "entryPoints.web.address: \"localhost\" is not an address (expected: host:port, for example \"127.0.0.1:8080\")");
        assertThat(errors("entryPoints: { web: {} }")).containsExactly("entryPoints.web: missing required key 'address'");
        assertThat(errors("journal: { dir: data }")).containsExactly("entryPoints: is required "
                + "(expected at least one entry point, for example web: { address: \"127.0.0.1:8080\" })");
    }

    @Test
    void serviceShapeErrors() {
        assertThat(errorsIn("s: { loadBalancer: { endpoints: [] }, weighted: { services: [] } }")).containsExactly(
                "http.services.s: expected exactly one service type, found 2 (loadBalancer, weighted)");
        assertThat(errorsIn("s: { loadBalancer: {} }")).containsExactly("http.services.s.loadBalancer: missing required key 'endpoints'");
        assertThat(errorsIn("r: { replicated: { replicas: {} } }")).containsExactly("http.services.r.replicated.replicas: expected at least one replica");
    }

    @Test
    void replicatedFieldErrors() {
        assertThat(errorsIn("""
                r:
                  replicated:
                    sessionKey: "query:user"
                    writeMethods: ["PO ST"]
                    notReachedStatuses: [502, 700]
                    retention: forever
                    replicas: { a: { priority: -1, endpoints: [] } }
                    healthCheck: { interval: 0s }
                """)).containsExactly(
                "http.services.r.replicated.sessionKey: \"query:user\" is not a request key (expected: header:NAME, cookie:NAME, claim:NAME)",
                "http.services.r.replicated.writeMethods[0]: \"PO ST\" is not an HTTP method",
                "http.services.r.replicated.notReachedStatuses[1]: \"700\" is not an HTTP status (expected: 100-599)",
                "http.services.r.replicated.retention: \"forever\" is not a duration (expected: a number with a unit ns, us, ms, s, m or h, such as \"1m30s\")",
                "http.services.r.replicated.replicas.a.priority: -1 (expected: 0-1000)",
                "http.services.r.replicated.replicas.a.endpoints: expected at least one endpoint",
                "http.services.r.replicated.healthCheck: missing required key 'path'",
                "http.services.r.replicated.healthCheck.interval: must be > 0");
    }

    @Test
    void everyErrorIsReportedAtOnceInFileOrder() {
        List<String> all = errors("""
                http:
                  services:
                    s: { loadBalancer: { endpoints: [ { url: "ftp://x" } ] } }
                  routers:
                    r: { rule: "Path(`/`)", service: missing }
                entryPoints: { web: { address: "nope" } }
                """);

        assertThat(all).containsExactly(
                "http.services.s.loadBalancer.endpoints[0].url: \"ftp://x\" is not an http(s) URL",
                "http.routers.r.service: unknown service 'missing'",
                "entryPoints.web.address: \"nope\" is not an address (expected: host:port, for example \"127.0.0.1:8080\")");
    }

    @Test
    void unreadableFile(@TempDir Path dir) {
        ConfigResult result = new ConfigLoader().load(dir.resolve("absent.yaml"));

        assertThat(result.errors()).singleElement().asString()
                .startsWith(dir.resolve("absent.yaml") + ": cannot read the file: no such file");
    }
}
