package io.outpost.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class SecurityConfigTest {

    private static final String HASH = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";

    private static ConfigResult parse(String http) {
        return new ConfigLoader().parse("entryPoints: { web: { address: \"127.0.0.1:8080\" } }\nhttp:\n" + http, "test.yaml");
    }

    private static final String SERVICES = """
              services:
                pos: { loadBalancer: { endpoints: [ { url: "http://127.0.0.1:9000" } ] } }
            """;

    @Test
    void everySecurityMiddlewareBindsWithItsDefaults() {
        OutpostConfig config = parse("""
              routers:
                inventory-writes:
                  rule: "PathPrefix(`/inventory`)"
                  service: pos
                  middlewares: [jwt, quota]
                  allow: [pos, "claim:azp=pos-service", 10.1.0.0/16]
              middlewares:
                jwt: { jwt: { jwksUrl: "https://idp.test/jwks", issuer: "https://idp.test", audience: pos, consumerClaim: azp } }
                keys: { apiKey: { keys: [ { consumer: pos, sha256: "%s" } ] } }
                basic: { basicAuth: { users: [ "cashier:%s" ] } }
                fa: { forwardAuth: { address: "http://127.0.0.1:4181/auth", authResponseHeaders: [X-User] } }
                rl: { rateLimit: { average: 100, sourceCriterion: "claim:sub" } }
                quota: { quota: { limit: 10000 } }
            """.formatted("ab".repeat(32), HASH) + SERVICES).orElseThrow();
        var mw = config.http().middlewares();
        var jwt = (MiddlewareConfig.Jwt) mw.get("jwt");
        assertThat(jwt.audience()).containsExactly("pos");
        assertThat(jwt.clockSkew()).isEqualTo(Duration.ofSeconds(30));
        assertThat(jwt.forwardToken()).isTrue();
        var keys = (MiddlewareConfig.ApiKey) mw.get("keys");
        assertThat(keys.header()).isEqualTo("X-API-Key");
        assertThat(((MiddlewareConfig.BasicAuth) mw.get("basic")).realm()).isEqualTo("outpost");
        assertThat(((MiddlewareConfig.ForwardAuth) mw.get("fa")).timeout()).isEqualTo(Duration.ofSeconds(5));
        var rl = (MiddlewareConfig.RateLimit) mw.get("rl");
        assertThat(rl.burst()).isEqualTo(100);
        assertThat(rl.period()).isEqualTo(Duration.ofSeconds(1));
        assertThat(rl.maxKeys()).isEqualTo(100_000);
        assertThat(rl.sourceCriterion()).isEqualTo(new RequestKey(RequestKey.Source.CLAIM, "sub"));
        var quota = (MiddlewareConfig.Quota) mw.get("quota");
        assertThat(quota.period()).isEqualTo(Duration.ofHours(24));
        assertThat(quota.key()).isEqualTo(RequestKey.CONSUMER);
        assertThat(config.http().routers().get("inventory-writes").allow()).containsExactly(
                new AllowEntry.Consumer("pos"), new AllowEntry.Claim("azp", "pos-service"),
                AllowEntry.parse("10.1.0.0/16"));

        // Secrets never reach the admin API.
        JsonNode json = ConfigJson.render(config);
        String text = json.toString();
        assertThat(text).doesNotContain("abab").doesNotContain(HASH);
        assertThat(json.at("/http/routers/inventory-writes/allow/1").asText()).isEqualTo("claim:azp=pos-service");
    }

    @Test
    void badSecuritySettingsAreReportedWithTheirKeyPaths() {
        ConfigResult result = parse("""
              routers:
                r: { rule: "Path(`/`)", service: pos, allow: ["claim:aud", "not a name", "10.0.0.0/99"] }
              middlewares:
                none: { jwt: { issuer: x } }
                two: { jwt: { secret: "0123456789abcdef0123456789abcdef", jwksUrl: "ftp://x" } }
                short: { jwt: { secret: "tiny" } }
                keys: { apiKey: { keys: [ { consumer: pos, sha256: "beef" } ] } }
                basic: { basicAuth: { users: [ "cashier:plaintext" ] } }
                rl: { rateLimit: { average: 0, sourceCriterion: "cookie:x" } }
                q: { quota: { period: 500ms } }
            """ + SERVICES);
        assertThat(result.errors()).extracting(ConfigError::toString).contains(
                "http.routers.r.allow[0]: \"claim:aud\" is not a claim match (expected: claim:NAME=VALUE)",
                "http.routers.r.allow[1]: \"not a name\" is not a consumer name (expected letters, digits, . _ @ -)",
                "http.middlewares.none.jwt: expected exactly one key source of jwksUrl, jwksFile, secret, secretEnv (found 0)",
                "http.middlewares.two.jwt: expected exactly one key source of jwksUrl, jwksFile, secret, secretEnv (found 2)",
                "http.middlewares.two.jwt.jwksUrl: \"ftp://x\" is not an http(s) URL",
                "http.middlewares.short.jwt.secret: too short (expected: at least 32 bytes for HS256)",
                "http.middlewares.keys.apiKey.keys[0].sha256: expected 64 hex digits (the SHA-256 of the key)",
                "http.middlewares.basic.basicAuth.users[0]: expected NAME:BCRYPT-HASH (a $2a$, $2b$ or $2y$ hash)",
                "http.middlewares.rl.rateLimit.average: 0 (expected: an integer >= 1)",
                "http.middlewares.q.quota: missing required key 'limit'",
                "http.middlewares.q.quota.period: 500ms (expected: >= 1s)");
        assertThat(result.errors()).anyMatch(e -> e.path().equals("http.routers.r.allow[2]"));
        assertThat(result.errors()).anyMatch(e -> e.path().equals("http.middlewares.rl.rateLimit.sourceCriterion"));
        assertThat(result.errors().toString()).doesNotContain("plaintext");
    }

    @Test
    void routersWithoutAllowKeepAnEmptyList() {
        OutpostConfig config = parse("""
              routers:
                r: { rule: "Path(`/`)", service: pos }
            """ + SERVICES).orElseThrow();
        assertThat(config.http().routers().get("r").allow()).isEqualTo(List.of());
    }

    /**
     * A user name and password in an auth server's URL would never be sent (the gateway does not use
     * them) and would be shown by /api/config; the error does not repeat the password either.
     */
    @Test
    void credentialsOrAPortOutOfRangeInAnAuthUrlAreErrors() {
        ConfigResult result = parse("""
              middlewares:
                fa: { forwardAuth: { address: "http://gateway:s3cr3t@auth.internal:4181/check" } }
                jwt: { jwt: { jwksUrl: "https://idp.test:99999/jwks" } }
            """);

        assertThat(result.errors()).extracting(ConfigError::toString).containsExactly(
                "http.middlewares.fa.forwardAuth.address: \"http://***@auth.internal:4181/check\" holds a user name or "
                        + "password, which the gateway does not send (expected: scheme://host[:port]/path)",
                "http.middlewares.jwt.jwt.jwksUrl: \"https://idp.test:99999/jwks\" has a port out of range (expected: 1-65535)");
    }
}
