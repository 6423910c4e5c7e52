package io.outpost.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.middleware.Middlewares;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code outpost check} must reject what {@code outpost run} cannot build: a middleware that passes
 * validation but throws when the runtime builds it makes check say "valid" and the gateway refuse it.
 */
class CheckMatchesBuildTest {

    private static final String EP = "entryPoints: { web: { address: \":8080\" } }\n";

    /** Either the loader reports an error, or every middleware it accepted builds. */
    private static List<String> problems(String middlewares) {
        ConfigResult result = new ConfigLoader().parse(EP + "http:\n  middlewares:\n" + middlewares.indent(4), "test.yaml");
        List<String> out = new ArrayList<>();
        if (!result.isValid()) {
            result.errors().forEach(e -> out.add("check: " + e));
            return out;
        }
        for (Map.Entry<String, MiddlewareConfig> e : result.orElseThrow().http().middlewares().entrySet()) {
            try {
                Middlewares.create(e.getKey(), e.getValue());
            } catch (RuntimeException ex) {
                out.add("build: " + ex);
            }
        }
        return out;
    }

    @Test
    void aZeroRecoveryDurationIsACheckError() {
        assertThat(problems("cb: { circuitBreaker: { errorRatio: 0.5, recoveryDuration: 0s } }"))
                .singleElement().asString().startsWith("check: http.middlewares.cb.circuitBreaker.recoveryDuration");
    }

    @Test
    void aZeroRetryIntervalIsACheckError() {
        assertThat(problems("r: { retry: { attempts: 2, initialInterval: 0s } }"))
                .singleElement().asString().startsWith("check: http.middlewares.r.retry.initialInterval");
    }

    @Test
    void aPrefixWithAQuestionMarkIsACheckError() {
        assertThat(problems("s: { stripPrefix: { prefixes: [\"/api?x\"] } }"))
                .singleElement().asString().startsWith("check: http.middlewares.s.stripPrefix.prefixes[0]");
    }

    @Test
    void aBurstTooLargeForTheBucketIsACheckError() {
        assertThat(problems("rl: { rateLimit: { average: 1, period: 1h, burst: 100000000 } }"))
                .singleElement().asString().startsWith("check: http.middlewares.rl.rateLimit.burst");
    }

    @Test
    void anEndpointListedTwiceIsACheckError() {
        ConfigResult result = new ConfigLoader().parse(EP + """
                http:
                  services:
                    s:
                      loadBalancer:
                        endpoints: [ { url: "http://127.0.0.1:9001" }, { url: "http://b:80" }, { url: "HTTP://127.0.0.1:9001/" } ]
                """, "test.yaml");
        assertThat(result.errors()).extracting(Object::toString).containsExactly(
                "http.services.s.loadBalancer.endpoints[2].url: \"HTTP://127.0.0.1:9001/\" is the same endpoint as endpoints[0]");
    }

    @Test
    void aFramingHeaderInTheHeadersMiddlewareIsACheckError() {
        assertThat(problems("h: { headers: { customRequestHeaders: { Content-Length: \"5\" } } }"))
                .singleElement().asString().isEqualTo("check: http.middlewares.h.headers.customRequestHeaders.Content-Length: "
                        + "is set by the gateway itself (expected: not Content-Length, Transfer-Encoding, Connection or Upgrade)");
    }

    @Test
    void aHeaderValueWithALineBreakIsACheckError() {
        assertThat(problems("h: { headers: { customResponseHeaders: { X-A: \"a\\r\\nSet-Cookie: x=1\" } } }"))
                .singleElement().asString().isEqualTo("check: http.middlewares.h.headers.customResponseHeaders.X-A: "
                        + "has a control or non-Latin-1 character (expected: printable text)");
    }

    @Test
    void aJwksFileThatIsNotThereIsACheckError() {
        assertThat(problems("j: { jwt: { jwksFile: /nonexistent/jwks.json } }"))
                .singleElement().asString().isEqualTo("check: http.middlewares.j.jwt.jwksFile: /nonexistent/jwks.json: no such readable file");
    }
}
