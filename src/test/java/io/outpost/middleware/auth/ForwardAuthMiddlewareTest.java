package io.outpost.middleware.auth;

import io.outpost.testing.Ports;
import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.config.MiddlewareConfig;
import io.outpost.testing.Backend;
import io.outpost.testing.RawHttp;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ForwardAuthMiddlewareTest {

    private Backend auth;

    @BeforeEach
    void startAuth() throws Exception {
        auth = Backend.start("auth");
        auth.on("/auth", ex -> {
            String token = ex.getRequestHeaders().getFirst("X-Token");
            if ("good".equals(token)) {
                ex.getResponseHeaders().set("X-Auth-User", "alice");
                ex.getResponseHeaders().set("X-Other", "not copied");
                Backend.respond(ex, 200, "");
            } else {
                ex.getResponseHeaders().set("WWW-Authenticate", "Custom realm=\"sso\"");
                ex.getResponseHeaders().set("Location", "https://sso.test/login");
                Backend.respond(ex, 302, "go and log in");
            }
        });
    }

    @AfterEach
    void stopAuth() {
        auth.close();
    }

    private static ForwardAuthMiddleware middleware(String address) {
        return middleware(address, Duration.ofSeconds(2));
    }

    private static ForwardAuthMiddleware middleware(String address, Duration timeout) {
        return new ForwardAuthMiddleware("fa", new MiddlewareConfig.ForwardAuth(address, List.of("X-Auth-User"), List.of(),
                false, timeout));
    }

    @Test
    void a2xxLetsTheRequestThroughWithTheChosenHeaders() throws Exception {
        try (SecurityFixture f = SecurityFixture.start(middleware(auth.url() + "/auth"))) {
            RawHttp.Response r = f.get("/orders/7?x=1", "X-Token: good", "X-Auth-User: mallory", "X-Forwarded-Uri: /fake");
            assertThat(r.status()).isEqualTo(200);
            assertThat(f.lastReceived("X-Auth-User")).isEqualTo("alice");
            assertThat(f.lastReceived("X-Other")).isNull();
            var seen = auth.requestHeaders().get(0);
            assertThat(seen.get("X-forwarded-method")).containsExactly("GET");
            assertThat(seen.get("X-forwarded-uri")).containsExactly("/orders/7?x=1"); // not the client's
            assertThat(seen.get("X-forwarded-host")).containsExactly("shop.test");
            assertThat(seen.get("X-forwarded-proto")).containsExactly("http");
            assertThat(seen.get("X-forwarded-for")).containsExactly("127.0.0.1");
            assertThat(seen.get("X-token")).containsExactly("good");
        }
    }

    @Test
    void trustingForwardHeadersPassesTheEntryPointsChainWithTheClientOnce() throws Exception {
        var config = new MiddlewareConfig.ForwardAuth(auth.url() + "/auth", List.of("X-Auth-User"), List.of(), true,
                Duration.ofSeconds(2));
        try (SecurityFixture f = SecurityFixture.start(new ForwardAuthMiddleware("fa", config))) {
            assertThat(f.get("/orders", "X-Token: good", "X-Forwarded-For: 10.9.9.9").status()).isEqualTo(200);
            // The entry point trusts no client by default: the chain it sets is the client's address alone.
            assertThat(auth.requestHeaders().get(0).get("X-forwarded-for")).containsExactly("127.0.0.1");
        }
    }

    @Test
    void anyOtherAnswerGoesBackToTheClientAsItIs() throws Exception {
        try (SecurityFixture f = SecurityFixture.start(middleware(auth.url() + "/auth"))) {
            RawHttp.Response r = f.get("/orders", "X-Token: bad");
            assertThat(r.status()).isEqualTo(302);
            assertThat(r.header("location")).isEqualTo("https://sso.test/login");
            assertThat(r.header("www-authenticate")).isEqualTo("Custom realm=\"sso\"");
            assertThat(r.body()).isEqualTo("go and log in");
            assertThat(f.backend.hits()).isZero();
        }
    }

    @Test
    void anUnreachableAuthServerIs503() throws Exception {
        int closedPort = Ports.free();
        try (SecurityFixture f = SecurityFixture.start(middleware("http://127.0.0.1:" + closedPort + "/auth"))) {
            RawHttp.Response r = f.get("/orders", "X-Token: good");
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.body()).contains("authorization service unavailable");
            assertThat(f.backend.hits()).isZero();
        }
    }

    @Test
    void anAnswerOverTheCapOrTooLateIs503() throws Exception {
        auth.on("/big", ex -> Backend.respond(ex, 403, "x".repeat(ForwardAuthMiddleware.MAX_BODY + 1)));
        auth.on("/slow", ex -> {
            try {
                Thread.sleep(3_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Backend.respond(ex, 200, "");
        });
        try (SecurityFixture f = SecurityFixture.start(middleware(auth.url() + "/big"))) {
            assertThat(f.get("/orders", "X-Token: good").status()).isEqualTo(503);
        }
        try (SecurityFixture f = SecurityFixture.start(middleware(auth.url() + "/slow", Duration.ofMillis(300)))) {
            long start = System.nanoTime();
            RawHttp.Response r = f.get("/orders", "X-Token: good");
            assertThat(r.status()).isEqualTo(503);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
            assertThat(f.backend.hits()).isZero();
        }
    }
}
