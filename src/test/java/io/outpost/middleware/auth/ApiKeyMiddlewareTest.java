package io.outpost.middleware.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.testing.RawHttp;
import org.junit.jupiter.api.Test;

class ApiKeyMiddlewareTest {

    private static String sha256(String key) throws Exception {
        return SecurityFixture.sha256(key);
    }

    private static ApiKeyMiddleware apiKey(boolean forward) throws Exception {
        return SecurityFixture.apiKey(forward);
    }

    @Test
    void aKnownKeyNamesTheConsumerAndIsNotForwarded() throws Exception {
        try (SecurityFixture f = SecurityFixture.start(apiKey(false), SecurityFixture.exposeIdentity())) {
            assertThat(f.get("/items", "X-API-Key: pos-secret-key").status()).isEqualTo(200);
            assertThat(f.lastReceived("X-Seen-Consumer")).isEqualTo("pos");
            assertThat(f.lastReceived("X-API-Key")).isNull();

            RawHttp.Response q = f.get("/items?a=1&api_key=bo-secret-key&b=2");
            assertThat(q.status()).isEqualTo(200);
            assertThat(f.lastReceived("X-Seen-Consumer")).isEqualTo("backoffice");
            assertThat(q.body()).contains("GET /items?a=1&b=2 ");
        }
    }

    @Test
    void forwardKeyKeepsIt() throws Exception {
        try (SecurityFixture f = SecurityFixture.start(apiKey(true))) {
            assertThat(f.get("/items", "X-API-Key: pos-secret-key").status()).isEqualTo(200);
            assertThat(f.lastReceived("X-API-Key")).isEqualTo("pos-secret-key");
        }
    }

    @Test
    void missingOrUnknownKeysGet401() throws Exception {
        try (SecurityFixture f = SecurityFixture.start(apiKey(false))) {
            RawHttp.Response missing = f.get("/items");
            assertThat(missing.status()).isEqualTo(401);
            assertThat(missing.body()).contains("missing API key");
            assertThat(missing.header("www-authenticate")).isEqualTo("ApiKey header=\"X-API-Key\"");
            assertThat(f.get("/items", "X-API-Key: pos-secret-kez").body()).contains("unknown API key");
            assertThat(f.get("/items", "X-API-Key: " + sha256("pos-secret-key")).status()).isEqualTo(401);
            assertThat(f.get("/items?api_key=%ZZ").status()).isEqualTo(401);
            assertThat(f.get("/items", "X-API-Key: " + "k".repeat(10_000)).status()).isEqualTo(401);
            assertThat(f.backend.hits()).isZero();
        }
    }
}
