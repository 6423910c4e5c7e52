package io.outpost.middleware.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import io.outpost.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The validator on its own: RSA signature checks that reuse one JDK signature per thread, and header rules. */
class JwtValidatorTest {

    private static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");
    private static final List<JWSAlgorithm> RSA_ALGORITHMS = List.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384,
            JWSAlgorithm.RS512, JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512);
    private static RSAKey rsa;
    private static RSAKey other;
    private static ExecutorService pool;

    private final JwtValidator validator = JwtValidator.of(new JWKSet(rsa.toPublicJWK()), new JwtValidator.Policy(
            Optional.of("https://idp.test"), List.of("pos"), Duration.ofSeconds(30), List.of()), new MutableClock(T0));

    @BeforeAll
    static void keys() {
        rsa = Tokens.rsa("rsa-1");
        other = Tokens.rsa("rsa-1");
        pool = Executors.newFixedThreadPool(4);
    }

    @AfterAll
    static void stop() {
        pool.shutdownNow();
    }

    private static String token(RSAKey key, JWSAlgorithm alg, String subject) {
        return Tokens.sign(key, alg, Tokens.claims(T0).subject(subject).build());
    }

    /** A compact token with this header, signed with {@code rsa} over header and payload as they appear. */
    private static String signedWithHeader(String headerJson) throws Exception {
        String signingInput = Base64URL.encode(headerJson) + "." + Base64URL.encode(Tokens.claims(T0).build().toString());
        JWSHeader header = JWSHeader.parse(headerJson);
        return signingInput + "." + new RSASSASigner(rsa).sign(header, signingInput.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void everyRsaAlgorithmVerifiesTokenAfterTokenAndRejectsAnotherKeysSignature() {
        for (int round = 0; round < 3; round++) {
            for (JWSAlgorithm alg : RSA_ALGORITHMS) {
                assertThat(validator.validate(token(rsa, alg, "alice-" + round))).as(alg.getName())
                        .isInstanceOf(JwtValidator.Valid.class);
                assertThat(validator.validate(token(other, alg, "mallory-" + round))).as(alg.getName())
                        .isEqualTo(JwtValidator.Failure.SIGNATURE);
            }
        }
    }

    @Test
    void aSignatureTheProviderRefusesDoesNotSpoilTheNextTokenOnTheThread() {
        String good = token(rsa, JWSAlgorithm.RS256, "alice");
        String[] parts = good.split("\\.");
        String shortSignature = parts[0] + "." + parts[1] + "." + parts[2].substring(0, 40);
        String longSignature = parts[0] + "." + parts[1] + "." + parts[2] + "AAAA";
        String notBase64 = parts[0] + "." + parts[1] + "." + parts[2].substring(1) + "*";
        for (String bad : List.of(shortSignature, longSignature, notBase64)) {
            assertThat(validator.validate(bad)).as(bad).isEqualTo(JwtValidator.Failure.SIGNATURE);
            assertThat(validator.validate(token(rsa, JWSAlgorithm.RS256, "bob"))).isInstanceOf(JwtValidator.Valid.class);
        }
        String tampered = parts[0] + "." + Base64URL.encode(Tokens.claims(T0).subject("root").build().toString()) + "." + parts[2];
        assertThat(validator.validate(tampered)).isEqualTo(JwtValidator.Failure.SIGNATURE);
        assertThat(validator.validate(good)).isInstanceOf(JwtValidator.Valid.class);
    }

    @Test
    void threadsVerifyAtTheSameTimeEachWithItsOwnSignature() throws Exception {
        List<Future<List<JwtValidator.Result>>> runs = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            List<String> tokens = new ArrayList<>();
            for (int i = 0; i < 15; i++) {
                tokens.add(token(i % 3 == 0 ? other : rsa, RSA_ALGORITHMS.get(i % RSA_ALGORITHMS.size()), "user-" + t + "-" + i));
            }
            runs.add(pool.submit(() -> tokens.stream().map(validator::validate).toList()));
        }
        for (Future<List<JwtValidator.Result>> run : runs) {
            List<JwtValidator.Result> results = run.get();
            for (int i = 0; i < results.size(); i++) {
                if (i % 3 == 0) {
                    assertThat(results.get(i)).isEqualTo(JwtValidator.Failure.SIGNATURE);
                } else {
                    assertThat(results.get(i)).isInstanceOf(JwtValidator.Valid.class);
                }
            }
        }
    }

    @Test
    void anUnknownCriticalHeaderOrAnUnencodedPayloadIsRefused() throws Exception {
        assertThat(validator.validate(signedWithHeader("{\"alg\":\"RS256\",\"kid\":\"rsa-1\"}")))
                .isInstanceOf(JwtValidator.Valid.class);
        assertThat(validator.validate(signedWithHeader("{\"alg\":\"RS256\",\"crit\":[\"exp\"],\"exp\":1}")))
                .isEqualTo(JwtValidator.Failure.SIGNATURE);
        assertThat(validator.validate(signedWithHeader("{\"alg\":\"RS256\",\"b64\":false,\"crit\":[\"b64\"]}")))
                .isEqualTo(JwtValidator.Failure.MALFORMED);
    }

    @Test
    void algNoneAndAnHmacTokenAgainstTheRsaKeyAreRefusedBeforeAnyCrypto() throws Exception {
        String payload = Base64URL.encode(Tokens.claims(T0).build().toString()).toString();
        assertThat(validator.validate(Base64URL.encode("{\"alg\":\"none\"}") + "." + payload + "."))
                .isEqualTo(JwtValidator.Failure.MALFORMED);
        assertThat(validator.validate(Base64URL.encode("{\"alg\":\"none\"}") + "." + payload + ".c2ln"))
                .isEqualTo(JwtValidator.Failure.MALFORMED);
        assertThat(validator.validate(Base64URL.encode("{\"alg\":\"HS256\"}") + "." + payload + ".c2ln"))
                .isEqualTo(JwtValidator.Failure.ALGORITHM);
        assertThat(validator.validate(Base64URL.encode("{\"alg\":\"RS256\",\"kid\":\"rsa-2\"}") + "." + payload + ".c2ln"))
                .isEqualTo(JwtValidator.Failure.UNKNOWN_KEY);
    }
}
