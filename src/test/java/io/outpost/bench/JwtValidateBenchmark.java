package io.outpost.bench;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import io.outpost.middleware.auth.JwtValidator;
import io.outpost.middleware.auth.Tokens;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * RS256 validation with a cached key: parse, verify a 2048-bit signature, check exp/iss/aud/scope.
 * Target: under 50 µs per token. Run as described in docs/security.md.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class JwtValidateBenchmark {

    private JwtValidator validator;
    /** One token, as bytes for the same reason as {@link #unseen}. */
    private byte[] token;
    /**
     * More distinct tokens than the validator caches, so that every one is parsed and verified. Kept as
     * bytes and made a string per call, as the proxy does with each request's header: a reused String
     * would carry its hash code from the previous round and skip hashing the token for the cache.
     */
    private byte[][] unseen;
    private int next;
    private java.security.PublicKey publicKey;
    private byte[] signingInput;
    private byte[] signature;

    @Setup
    public void setUp() {
        Instant now = Instant.now();
        RSAKey key = Tokens.rsa("bench");
        validator = JwtValidator.of(new JWKSet(key.toPublicJWK()), new JwtValidator.Policy(Optional.of("https://idp.test"),
                List.of("pos"), Duration.ofSeconds(30), List.of("pos:read")), Clock.systemUTC());
        String token = Tokens.sign(key, JWSAlgorithm.RS256, Tokens.claims(now).expirationTime(
                java.util.Date.from(now.plus(Duration.ofHours(2)))).build());
        this.token = token.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        try {
            publicKey = key.toRSAPublicKey();
        } catch (com.nimbusds.jose.JOSEException e) {
            throw new IllegalStateException(e);
        }
        int lastDot = token.lastIndexOf('.');
        signingInput = token.substring(0, lastDot).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        signature = java.util.Base64.getUrlDecoder().decode(token.substring(lastDot + 1));
        unseen = new byte[5000][];
        for (int i = 0; i < unseen.length; i++) {
            unseen[i] = Tokens.sign(key, JWSAlgorithm.RS256, Tokens.claims(now).subject("user-" + i)
                    .expirationTime(java.util.Date.from(now.plus(Duration.ofHours(2)))).build())
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        }
        if (!(validator.validate(token) instanceof JwtValidator.Valid)) {
            throw new IllegalStateException("benchmark token does not validate");
        }
    }

    /** A token seen for the first time: parse, RSA verify, claim checks. */
    @Benchmark
    public JwtValidator.Result validateRs256() {
        byte[] t = unseen[next];
        next = next + 1 == unseen.length ? 0 : next + 1;
        return validator.validate(new String(t, java.nio.charset.StandardCharsets.US_ASCII));
    }

    /** A token the validator verified before (a client's next request): claims re-checked, no crypto. */
    @Benchmark
    public JwtValidator.Result validateRs256Repeated() {
        return validator.validate(new String(token, java.nio.charset.StandardCharsets.US_ASCII));
    }

    /** The floor: the JDK's RSA-2048 SHA-256 signature check alone, on the same bytes. */
    @Benchmark
    public boolean rsaVerifyOnly() throws java.security.GeneralSecurityException {
        java.security.Signature sig = java.security.Signature.getInstance("SHA256withRSA");
        sig.initVerify(publicKey);
        sig.update(signingInput);
        return sig.verify(signature);
    }
}
