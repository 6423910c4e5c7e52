package io.outpost.middleware.auth;

import static org.assertj.core.api.Assertions.assertThat;

import at.favre.lib.crypto.bcrypt.BCrypt;
import io.outpost.config.MiddlewareConfig;
import io.outpost.testing.RawHttp;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class BasicAuthMiddlewareTest {

    private static final String HASH = BCrypt.withDefaults().hashToString(4, "till-1234".toCharArray());

    private static String basic(String userPass) {
        return "Authorization: Basic " + Base64.getEncoder().encodeToString(userPass.getBytes(StandardCharsets.UTF_8));
    }

    private static BasicAuthMiddleware middleware(boolean removeHeader) {
        return new BasicAuthMiddleware("basic", new MiddlewareConfig.BasicAuth(List.of("cashier:" + HASH), "store-12",
                removeHeader));
    }

    @Test
    void theRightPasswordPassesAndTheUserBecomesTheConsumer() throws Exception {
        try (SecurityFixture f = SecurityFixture.start(middleware(true), SecurityFixture.exposeIdentity())) {
            assertThat(f.get("/", basic("cashier:till-1234")).status()).isEqualTo(200);
            assertThat(f.lastReceived("X-Seen-Consumer")).isEqualTo("cashier");
            assertThat(f.lastReceived("Authorization")).isNull();
            // The second request is answered from the remembered check.
            assertThat(f.get("/", basic("cashier:till-1234")).status()).isEqualTo(200);
            assertThat(f.backend.hits()).isEqualTo(2);
        }
    }

    @Test
    void wrongOrMalformedCredentialsGet401WithTheRealm() throws Exception {
        try (SecurityFixture f = SecurityFixture.start(middleware(false))) {
            assertThat(f.get("/", basic("cashier:till-1234")).status()).isEqualTo(200);
            String[][] bad = {{}, {basic("cashier:till-12345")}, {basic("nobody:till-1234")}, {basic("cashier")},
                {"Authorization: Basic %%%"}, {"Authorization: Bearer x"}, {basic(":till-1234")}};
            for (String[] headers : bad) {
                RawHttp.Response r = f.get("/", headers);
                assertThat(r.status()).as(String.join(",", headers)).isEqualTo(401);
                assertThat(r.header("www-authenticate")).isEqualTo("Basic realm=\"store-12\", charset=\"UTF-8\"");
            }
            assertThat(f.backend.hits()).isEqualTo(1);
        }
    }

    @Test
    void aPasswordLongerThanBcryptTakesGets401RatherThanNoAnswer() throws Exception {
        // bcrypt reads at most 72 bytes; the library throws for longer passwords instead of answering false.
        String longPassword = "x".repeat(100);
        try (SecurityFixture f = SecurityFixture.start(middleware(false))) {
            RawHttp.Response r = f.get("/", basic("cashier:" + longPassword));
            assertThat(r.status()).isEqualTo(401);
            assertThat(f.get("/", basic("nobody:" + longPassword)).status()).isEqualTo(401);
            assertThat(f.backend.hits()).isZero();
        }
    }

    @Test
    void likeGoAndHtpasswdOnlyTheFirst72BytesOfAPasswordCount() throws Exception {
        String longPassword = "p".repeat(72) + "-tail";
        String hash = BCrypt.withDefaults().hashToString(4, ("p".repeat(72)).toCharArray());
        BasicAuthMiddleware m = new BasicAuthMiddleware("basic",
                new MiddlewareConfig.BasicAuth(List.of("manager:" + hash), "store-12", false));
        try (SecurityFixture f = SecurityFixture.start(m)) {
            assertThat(f.get("/", basic("manager:" + longPassword)).status()).isEqualTo(200);
            assertThat(f.get("/", basic("manager:" + "p".repeat(71))).status()).isEqualTo(401);
        }
    }
}
