package io.outpost.middleware.auth;

import io.outpost.testing.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.outpost.config.TlsConfig;
import io.outpost.tls.TestPki;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import io.outpost.config.MiddlewareConfig;
import io.outpost.testing.RawHttp;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The jwksUrl source against a real JDK HTTP server that the test controls. */
class RemoteJwksTest {

    private static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");
    private static final Duration BOUND = Duration.ofSeconds(5);

    private final MutableClock clock = new MutableClock(T0);
    private final AtomicReference<String> body = new AtomicReference<>();
    private final AtomicInteger status = new AtomicInteger(200);
    private final AtomicInteger fetches = new AtomicInteger();
    private final RSAKey first = Tokens.rsa("k1");
    private final RSAKey second = Tokens.rsa("k2");
    private HttpServer idp;

    @BeforeEach
    void startIdp() throws Exception {
        idp = serveJwks(HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16));
        body.set(jwks(first));
    }

    /** Answers {@code /jwks} with {@link #status} and {@link #body}, counting the fetches. */
    private HttpServer serveJwks(HttpServer server) {
        server.createContext("/jwks", ex -> {
            fetches.incrementAndGet();
            byte[] bytes = body.get().getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(status.get(), bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
        return server;
    }

    @AfterEach
    void stopIdp() {
        idp.stop(0);
    }

    private static String jwks(RSAKey... keys) {
        return new JWKSet(java.util.Arrays.stream(keys).map(k -> (com.nimbusds.jose.jwk.JWK) k.toPublicJWK()).toList()).toString();
    }

    private JwtMiddleware middleware() {
        return middleware("http://127.0.0.1:" + idp.getAddress().getPort() + "/jwks", Optional.empty());
    }

    private JwtMiddleware middleware(String jwksUrl, Optional<TlsConfig.Upstream> tls) {
        var config = new MiddlewareConfig.Jwt(Optional.of(jwksUrl),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), List.of(), Duration.ofSeconds(30),
                List.of(), Map.of(), true, Optional.empty(), Duration.ofMinutes(10), Duration.ofSeconds(30), tls);
        return new JwtMiddleware("jwt", config, clock);
    }

    /** A fresh token (issued at the test clock's now) signed by {@code key}. */
    private String bearer(RSAKey key) {
        return "Authorization: Bearer " + Tokens.sign(key, JWSAlgorithm.RS256, Tokens.claims(clock.instant()).build());
    }

    @Test
    void anUnknownKidTriggersOneRateLimitedRefetch() throws Exception {
        try (SecurityFixture f = SecurityFixture.start(middleware())) {
            assertThat(f.get("/", bearer(first)).status()).isEqualTo(200);
            assertThat(fetches.get()).isEqualTo(1);

            // The provider rotates to k2: the first k2 token makes the gateway fetch again.
            body.set(jwks(first, second));
            clock.advance(Duration.ofSeconds(31));
            assertThat(f.get("/", bearer(second)).status()).isEqualTo(200);
            assertThat(fetches.get()).isEqualTo(2);

            // Invented kids within the interval cause no fetch at all.
            for (int i = 0; i < 5; i++) {
                RawHttp.Response r = f.get("/", bearer(Tokens.rsa("made-up-" + i)));
                assertThat(r.status()).isEqualTo(401);
                assertThat(r.header("www-authenticate")).contains("unknown signing key");
            }
            assertThat(fetches.get()).isEqualTo(2);
            clock.advance(Duration.ofSeconds(31));
            assertThat(f.get("/", bearer(Tokens.rsa("made-up-x"))).status()).isEqualTo(401);
            assertThat(fetches.get()).isEqualTo(3);
            assertThat(f.get("/", bearer(first)).status()).isEqualTo(200);
        }
    }

    @Test
    void garbageOrAnErrorFromTheProviderKeepsTheCachedKeys() throws Exception {
        try (SecurityFixture f = SecurityFixture.start(middleware())) {
            assertThat(f.get("/", bearer(first)).status()).isEqualTo(200);
            body.set("<html>maintenance</html>");
            clock.advance(Duration.ofMinutes(11)); // cache expired: a background refresh gets garbage
            assertThat(f.get("/", bearer(first)).status()).isEqualTo(200);
            await().atMost(BOUND).until(() -> fetches.get() == 2);
            assertThat(f.get("/", bearer(first)).status()).isEqualTo(200);

            body.set("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k2\",\"n\":\"!!\",\"e\":\"AQAB\"}]}");
            clock.advance(Duration.ofSeconds(31));
            assertThat(f.get("/", bearer(second)).status()).isEqualTo(401); // refetch: still no usable k2
            assertThat(fetches.get()).isEqualTo(3);
            assertThat(f.get("/", bearer(first)).status()).isEqualTo(200);

            status.set(500);
            body.set(jwks(second));
            clock.advance(Duration.ofSeconds(31));
            assertThat(f.get("/", bearer(second)).status()).isEqualTo(401);
            assertThat(fetches.get()).isEqualTo(4);
            idp.stop(0); // down altogether
            clock.advance(Duration.ofSeconds(31));
            assertThat(f.get("/", bearer(second)).status()).isEqualTo(401);
            assertThat(f.get("/", bearer(first)).status()).isEqualTo(200);
        }
    }

    @Test
    void noKeysEverLoadedIs503NotA401() throws Exception {
        body.set("garbage");
        try (SecurityFixture f = SecurityFixture.start(middleware())) {
            await().atMost(BOUND).until(() -> fetches.get() == 1);
            RawHttp.Response r = f.get("/", bearer(first));
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.header("retry-after")).isEqualTo("5");
            body.set(jwks(first));
            clock.advance(Duration.ofSeconds(31));
            assertThat(f.get("/", bearer(first)).status()).isEqualTo(200);
        }
    }

    @Test
    void aReloadWhileTheProviderIsDownKeepsServingTheCachedKeys() throws Exception {
        // Every configuration reload builds the middlewares again (RuntimeBuilder), with the same jwksUrl.
        try (SecurityFixture f = SecurityFixture.start(middleware())) {
            assertThat(f.get("/", bearer(first)).status()).isEqualTo(200);
        }
        idp.stop(0); // the store loses its link to the cloud's identity provider
        clock.advance(Duration.ofMinutes(1));
        try (SecurityFixture f = SecurityFixture.start(middleware())) { // an unrelated edit of the file is reloaded
            assertThat(f.get("/", bearer(first)).status()).isEqualTo(200);
        }
    }

    @Test
    void anHttpsProviderIsVerifiedWithTheMiddlewaresTls(@TempDir Path dir) throws Exception {
        TestPki.Issued ca = TestPki.ca(dir, "idp-ca");
        TestPki.Issued cert = TestPki.leaf(dir, "idp", ca, "idp.internal");
        HttpsServer https = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        https.setHttpsConfigurator(new HttpsConfigurator(TestPki.context(List.of(ca.cert()), cert)));
        serveJwks(https);
        try {
            String url = "https://127.0.0.1:" + https.getAddress().getPort() + "/jwks";
            try (SecurityFixture f = SecurityFixture.start(middleware(url, Optional.empty()))) {
                assertThat(f.get("/", bearer(first)).status()).as("a private CA the JDK does not trust").isEqualTo(503);
            }
            assertThat(fetches.get()).as("refused at the handshake").isZero();
            var tls = new TlsConfig.Upstream(List.of(ca.certFile()), Optional.empty(), Optional.of("idp.internal"), false);
            try (SecurityFixture f = SecurityFixture.start(middleware(url, Optional.of(tls)))) {
                assertThat(f.get("/", bearer(first)).status()).isEqualTo(200);
            }
            assertThat(fetches.get()).isEqualTo(1);
        } finally {
            https.stop(0);
        }
    }
}
