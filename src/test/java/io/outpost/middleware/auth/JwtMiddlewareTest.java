package io.outpost.middleware.auth;

import io.outpost.testing.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import io.outpost.config.MiddlewareConfig;
import io.outpost.testing.RawHttp;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JwtMiddlewareTest {

    private static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");
    private static RSAKey rsa;
    private static ECKey ec;

    @TempDir
    Path dir;
    private final MutableClock clock = new MutableClock(T0);

    @BeforeAll
    static void keys() {
        rsa = Tokens.rsa("rsa-1");
        ec = Tokens.ec("ec-1");
    }

    static MiddlewareConfig.Jwt config(Optional<Path> file, Optional<String> secret, List<String> scopes,
            Map<String, String> toHeaders, boolean forward) {
        return new MiddlewareConfig.Jwt(Optional.empty(), file, secret, Optional.empty(), Optional.of("https://idp.test"),
                List.of("pos", "inventory"), MiddlewareConfig.Jwt.DEFAULT_CLOCK_SKEW, scopes, toHeaders, forward,
                Optional.of("sub"), MiddlewareConfig.Jwt.DEFAULT_JWKS_CACHE_DURATION,
                MiddlewareConfig.Jwt.DEFAULT_JWKS_MIN_REFRESH_INTERVAL);
    }

    private Path jwksFile() throws Exception {
        Path file = dir.resolve("jwks.json");
        Files.writeString(file, new JWKSet(List.of(rsa.toPublicJWK(), ec.toPublicJWK())).toString());
        return file;
    }

    private JwtMiddleware fromFile(List<String> scopes) throws Exception {
        return new JwtMiddleware("jwt", config(Optional.of(jwksFile()), Optional.empty(), scopes,
                Map.of("sub", "X-User"), true), clock);
    }

    private static String bearer(String token) {
        return "Authorization: Bearer " + token;
    }

    private static void assertInvalid(RawHttp.Response r, String description) {
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.header("www-authenticate")).isEqualTo(
                "Bearer realm=\"outpost\", error=\"invalid_token\", error_description=\"" + description + "\"");
    }

    @Test
    void validRs256AndEs256TokensPassWithClaimsForLaterSteps() throws Exception {
        try (SecurityFixture f = SecurityFixture.start(fromFile(List.of()), SecurityFixture.exposeIdentity())) {
            String token = Tokens.sign(rsa, JWSAlgorithm.RS256, Tokens.claims(T0).build());
            RawHttp.Response r = f.get("/orders", bearer(token), "X-User: mallory");
            assertThat(r.status()).isEqualTo(200);
            assertThat(f.lastReceived("X-User")).isEqualTo("alice"); // the client's X-User is replaced
            assertThat(f.lastReceived("X-Seen-Sub")).isEqualTo("alice");
            assertThat(f.lastReceived("X-Seen-Consumer")).isEqualTo("alice");
            assertThat(f.lastReceived("Authorization")).isEqualTo("Bearer " + token);

            assertThat(f.get("/orders", bearer(Tokens.sign(ec, Tokens.claims(T0).build()))).status()).isEqualTo(200);
            assertThat(f.get("/orders", bearer(Tokens.sign(rsa, JWSAlgorithm.PS256, Tokens.claims(T0).build()))).status())
                    .isEqualTo(200);
            assertThat(f.backend.hits()).isEqualTo(3);
        }
    }

    @Test
    void missingTokenGetsABareChallenge() throws Exception {
        try (SecurityFixture f = SecurityFixture.start(fromFile(List.of()))) {
            for (String[] headers : new String[][] {{}, {"Authorization: Basic YTpi"}, {"Authorization: Bearer "}}) {
                RawHttp.Response r = f.get("/orders", headers);
                assertThat(r.status()).isEqualTo(401);
                assertThat(r.header("www-authenticate")).isEqualTo("Bearer realm=\"outpost\"");
            }
            assertThat(f.backend.hits()).isZero();
        }
    }

    @Test
    void algNoneIsRejected() throws Exception {
        try (SecurityFixture f = SecurityFixture.start(fromFile(List.of()))) {
            String header = Base64URL.encode("{\"alg\":\"none\",\"typ\":\"JWT\"}").toString();
            String payload = Base64URL.encode(Tokens.claims(T0).build().toString()).toString();
            assertInvalid(f.get("/", bearer(header + "." + payload + ".")), "malformed token");
            assertInvalid(f.get("/", bearer(header + "." + payload)), "malformed token");
            assertThat(f.backend.hits()).isZero();
        }
    }

    @Test
    void hs256SignedWithTheRsaPublicKeyIsRejected() throws Exception {
        try (SecurityFixture f = SecurityFixture.start(fromFile(List.of()))) {
            byte[] publicKey = rsa.toRSAPublicKey().getEncoded();
            String forged = Tokens.sign(new MACSigner(publicKey),
                    new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("rsa-1").build(), Tokens.claims(T0).build());
            assertInvalid(f.get("/", bearer(forged)), "signing algorithm not accepted");
            // The JWK's PEM-ish text as the secret fares no better.
            String forged2 = Tokens.sign(new MACSigner(rsa.toPublicJWK().toJSONString().getBytes(StandardCharsets.UTF_8)),
                    new JWSHeader.Builder(JWSAlgorithm.HS256).build(), Tokens.claims(T0).build());
            assertInvalid(f.get("/", bearer(forged2)), "signing algorithm not accepted");
            assertThat(f.backend.hits()).isZero();
        }
    }

    @Test
    void expiryAndNotBeforeHonourTheClockSkew() throws Exception {
        try (SecurityFixture f = SecurityFixture.start(fromFile(List.of()))) {
            String token = Tokens.sign(rsa, JWSAlgorithm.RS256, Tokens.claims(T0).build()); // exp = T0 + 5m
            clock.advance(Duration.ofMinutes(5).plusSeconds(20)); // within the 30s skew
            assertThat(f.get("/", bearer(token)).status()).isEqualTo(200);
            clock.advance(Duration.ofSeconds(10));
            assertInvalid(f.get("/", bearer(token)), "token expired");

            String future = Tokens.sign(rsa, JWSAlgorithm.RS256, Tokens.claims(clock.instant())
                    .notBeforeTime(java.util.Date.from(clock.instant().plusSeconds(60))).build());
            assertInvalid(f.get("/", bearer(future)), "token not yet valid");
            String noExp = Tokens.sign(rsa, JWSAlgorithm.RS256, Tokens.claims(clock.instant()).expirationTime(null).build());
            assertInvalid(f.get("/", bearer(noExp)), "token has no expiry");
        }
    }

    @Test
    void wrongAudienceIssuerOrSignatureIsRejected() throws Exception {
        try (SecurityFixture f = SecurityFixture.start(fromFile(List.of()))) {
            assertInvalid(f.get("/", bearer(Tokens.sign(rsa, JWSAlgorithm.RS256,
                    Tokens.claims(T0).audience(List.of("billing")).build()))), "wrong audience");
            // Any one of the configured audiences is enough.
            assertThat(f.get("/", bearer(Tokens.sign(rsa, JWSAlgorithm.RS256,
                    Tokens.claims(T0).audience(List.of("billing", "inventory")).build()))).status()).isEqualTo(200);
            assertInvalid(f.get("/", bearer(Tokens.sign(rsa, JWSAlgorithm.RS256,
                    Tokens.claims(T0).issuer("https://evil.test").build()))), "wrong issuer");
            RSAKey other = Tokens.rsa("rsa-1"); // same kid, different key
            assertInvalid(f.get("/", bearer(Tokens.sign(other, JWSAlgorithm.RS256, Tokens.claims(T0).build()))),
                    "invalid signature");
            assertInvalid(f.get("/", bearer(Tokens.sign(Tokens.rsa("nobody"), JWSAlgorithm.RS256,
                    Tokens.claims(T0).build()))), "unknown signing key");
        }
    }

    @Test
    void malformedTokensGet401NotA500() throws Exception {
        try (SecurityFixture f = SecurityFixture.start(fromFile(List.of()))) {
            String good = Tokens.sign(rsa, JWSAlgorithm.RS256, Tokens.claims(T0).build());
            String[] parts = good.split("\\.");
            String[] bad = {
                "abc", "a.b", "a.b.c.d.e.f", "!!!." + parts[1] + "." + parts[2],
                parts[0] + ".%%%%." + parts[2], parts[0] + "." + parts[1] + ".***",
                Base64URL.encode("[1,2]") + "." + parts[1] + "." + parts[2],
                parts[0] + "." + Base64URL.encode("not json") + "." + parts[2],
            };
            for (String token : bad) {
                RawHttp.Response r = f.get("/", bearer(token));
                assertThat(r.status()).as(token).isEqualTo(401);
                assertThat(r.header("www-authenticate")).as(token).contains("error=\"invalid_token\"");
            }
            // Large but under the proxy's header limit: still a plain 401 (the signature is checked before the payload is read).
            String large = parts[0] + "." + "A".repeat(12_000) + "." + parts[2];
            assertInvalid(f.get("/", bearer(large)), "invalid signature");
            assertInvalid(f.get("/", bearer("A".repeat(12_000))), "malformed token");
            assertThat(f.backend.hits()).isZero();
        }
    }

    @Test
    void aMissingScopeIs403InsufficientScope() throws Exception {
        try (SecurityFixture f = SecurityFixture.start(fromFile(List.of("pos:write", "inventory:write")))) {
            RawHttp.Response r = f.get("/", bearer(Tokens.sign(rsa, JWSAlgorithm.RS256, Tokens.claims(T0).build())));
            assertThat(r.status()).isEqualTo(403);
            assertThat(r.header("www-authenticate")).isEqualTo("Bearer realm=\"outpost\", error=\"insufficient_scope\", "
                    + "error_description=\"missing required scope\", scope=\"pos:write inventory:write\"");
            // scope (space-separated) and scp (array) both count.
            assertThat(f.get("/", bearer(Tokens.sign(rsa, JWSAlgorithm.RS256, Tokens.claims(T0)
                    .claim("scp", List.of("inventory:write")).build()))).status()).isEqualTo(200);
            assertThat(f.get("/", bearer(Tokens.sign(rsa, JWSAlgorithm.RS256, Tokens.claims(T0)
                    .claim("scope", "pos:write inventory:write").build()))).status()).isEqualTo(200);
            assertThat(f.get("/", bearer(Tokens.sign(rsa, JWSAlgorithm.RS256, Tokens.claims(T0)
                    .claim("scope", "pos:writer inventory:write").build()))).status()).isEqualTo(403);
        }
    }

    @Test
    void forwardTokenFalseRemovesAuthorization() throws Exception {
        JwtMiddleware m = new JwtMiddleware("jwt", config(Optional.of(jwksFile()), Optional.empty(), List.of(),
                Map.of(), false), clock);
        try (SecurityFixture f = SecurityFixture.start(m)) {
            assertThat(f.get("/", bearer(Tokens.sign(rsa, JWSAlgorithm.RS256, Tokens.claims(T0).build()))).status())
                    .isEqualTo(200);
            assertThat(f.lastReceived("Authorization")).isNull();
        }
    }

    @Test
    void hmacSecretInlineOrFromTheEnvironmentAcceptsOnlyHs256() throws Exception {
        String secret = "0123456789abcdef0123456789abcdef-secret";
        var env = new MiddlewareConfig.Jwt(Optional.empty(), Optional.empty(), Optional.empty(), Optional.of("JWT_SECRET"),
                Optional.empty(), List.of(), Duration.ofSeconds(30), List.of(), Map.of(), true, Optional.empty(),
                Duration.ofMinutes(10), Duration.ofSeconds(30));
        KeySource keys = JwtMiddleware.keySource("jwt", env, clock, name -> name.equals("JWT_SECRET") ? secret : null);
        try (SecurityFixture f = SecurityFixture.start(new JwtMiddleware("jwt", env, clock, keys))) {
            String token = Tokens.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)),
                    new JWSHeader.Builder(JWSAlgorithm.HS256).build(), Tokens.claims(T0).build());
            assertThat(f.get("/", bearer(token)).status()).isEqualTo(200);
            assertInvalid(f.get("/", bearer(Tokens.sign(rsa, JWSAlgorithm.RS256, Tokens.claims(T0).build()))),
                    "signing algorithm not accepted");
        }
        assertThatThrownBy(() -> JwtMiddleware.keySource("jwt", env, clock, name -> null))
                .hasMessage("middleware jwt: secretEnv: environment variable JWT_SECRET is not set");
        assertThatThrownBy(() -> new JwtMiddleware("jwt", config(Optional.empty(), Optional.of("short"), List.of(),
                Map.of(), true), clock)).hasMessageContaining("at least 32");
        assertThatThrownBy(() -> new JwtMiddleware("jwt", config(Optional.of(dir.resolve("missing.json")), Optional.empty(),
                List.of(), Map.of(), true), clock)).hasMessageStartingWith("middleware jwt: jwksFile:");
    }
}
