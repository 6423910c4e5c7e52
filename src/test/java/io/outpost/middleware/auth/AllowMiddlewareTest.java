package io.outpost.middleware.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import io.outpost.config.AllowEntry;
import io.outpost.config.MiddlewareConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AllowMiddlewareTest {

    @TempDir
    Path dir;

    private static AllowMiddleware allow(String... entries) {
        return new AllowMiddleware("inventory-writes", java.util.Arrays.stream(entries).map(AllowEntry::parse).toList());
    }

    @Test
    void onlyListedConsumersPass() throws Exception {
        try (SecurityFixture f = SecurityFixture.start(SecurityFixture.apiKey(false), allow("pos"))) {
            assertThat(f.get("/stock", "X-API-Key: pos-secret-key").status()).isEqualTo(200);
            assertThat(f.get("/stock", "X-API-Key: bo-secret-key").status()).isEqualTo(403);
            assertThat(f.backend.hits()).isEqualTo(1);
        }
    }

    @Test
    void claimMatchesIncludingArrayClaims() throws Exception {
        Instant now = Instant.now();
        RSAKey key = Tokens.rsa("k");
        Path jwks = dir.resolve("jwks.json");
        Files.writeString(jwks, new JWKSet(key.toPublicJWK()).toString());
        JwtMiddleware jwt = new JwtMiddleware("jwt", new MiddlewareConfig.Jwt(Optional.empty(), Optional.of(jwks),
                Optional.empty(), Optional.empty(), Optional.empty(), List.of(), Duration.ofSeconds(30), List.of(), Map.of(),
                true, Optional.empty(), Duration.ofMinutes(10), Duration.ofSeconds(30)), java.time.Clock.systemUTC());
        try (SecurityFixture f = SecurityFixture.start(jwt, allow("claim:azp=pos-service", "claim:aud=inventory"))) {
            String pos = Tokens.sign(key, JWSAlgorithm.RS256, Tokens.claims(now).claim("azp", "pos-service").build());
            String aud = Tokens.sign(key, JWSAlgorithm.RS256, Tokens.claims(now).audience(List.of("x", "inventory")).build());
            String other = Tokens.sign(key, JWSAlgorithm.RS256, Tokens.claims(now).claim("azp", "web").build());
            assertThat(f.get("/stock", "Authorization: Bearer " + pos).status()).isEqualTo(200);
            assertThat(f.get("/stock", "Authorization: Bearer " + aud).status()).isEqualTo(200);
            assertThat(f.get("/stock", "Authorization: Bearer " + other).status()).isEqualTo(403);
        }
    }

    @Test
    void networksMatchTheClientAddress() throws Exception {
        try (SecurityFixture f = SecurityFixture.start(allow("10.0.0.0/8"))) {
            assertThat(f.get("/stock").status()).isEqualTo(403);
        }
        try (SecurityFixture f = SecurityFixture.start(allow("pos", "127.0.0.0/8"))) {
            assertThat(f.get("/stock").status()).isEqualTo(200);
        }
    }
}
