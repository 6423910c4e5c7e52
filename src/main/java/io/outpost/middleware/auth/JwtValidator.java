package io.outpost.middleware.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Checks one compact JWS token: parses it, verifies the signature with a key whose type admits the
 * token's algorithm, then checks expiry, not-before (both with a clock skew), issuer, audience and
 * scopes. Free of Netty and of I/O; time comes from the injected clock.
 *
 * <pre>{@code
 * JwtValidator v = new JwtValidator(KeySource.fixed(keys), policy, Clock.systemUTC());
 * if (v.validate(token) instanceof JwtValidator.Valid ok) { ... ok.claims() ... }
 * }</pre>
 */
public final class JwtValidator {

    /** What a validation found: {@link Valid} or one {@link Failure}. */
    public sealed interface Result permits Valid, Failure {
    }

    /** A token that passed every check, with its claims. */
    public record Valid(Map<String, Object> claims) implements Result {
    }

    /** Why a token was refused; the status and RFC 6750 error code the client gets. */
    public enum Failure implements Result {
        MALFORMED(401, "invalid_token", "malformed token"),
        ALGORITHM(401, "invalid_token", "signing algorithm not accepted"),
        UNKNOWN_KEY(401, "invalid_token", "unknown signing key"),
        SIGNATURE(401, "invalid_token", "invalid signature"),
        NO_EXPIRY(401, "invalid_token", "token has no expiry"),
        EXPIRED(401, "invalid_token", "token expired"),
        NOT_YET_VALID(401, "invalid_token", "token not yet valid"),
        ISSUER(401, "invalid_token", "wrong issuer"),
        AUDIENCE(401, "invalid_token", "wrong audience"),
        SCOPE(403, "insufficient_scope", "missing required scope"),
        KEYS_UNAVAILABLE(503, null, "signing keys unavailable");

        public final int status;
        public final String error;
        public final String description;

        Failure(int status, String error, String description) {
            this.status = status;
            this.error = error;
            this.description = description;
        }
    }

    /** The checks besides the signature. Empty lists and absent values disable a check. */
    public record Policy(Optional<String> issuer, List<String> audiences, Duration clockSkew, List<String> requiredScopes) {
        public Policy {
            audiences = List.copyOf(audiences);
            requiredScopes = List.copyOf(requiredScopes);
        }
    }

    private final KeySource keys;
    private final Clock clock;
    private final String issuer;
    private final Set<String> audiences;
    private final long skewMillis;
    private final List<String> requiredScopes;

    JwtValidator(KeySource keys, Policy policy, Clock clock) {
        this.keys = keys;
        this.clock = clock;
        this.issuer = policy.issuer().orElse(null);
        this.audiences = Set.copyOf(policy.audiences());
        this.skewMillis = policy.clockSkew().toMillis();
        this.requiredScopes = policy.requiredScopes();
    }

    /** A validator over fixed keys (a JWK set), for tools and benchmarks. */
    public static JwtValidator of(com.nimbusds.jose.jwk.JWKSet jwks, Policy policy, Clock clock) {
        return new JwtValidator(KeySource.fixed(KeySet.of(jwks)), policy, clock);
    }

    /** Validates {@code token} against the keys the source holds now. */
    public Result validate(String token) {
        return validate(token, keys.current());
    }

    Result validate(String token, KeySet keySet) {
        Verified hit = verified.get(token);
        if (hit != null && hit.keys() == keySet) {
            // The signature of this exact token was checked with these keys; time and claims are re-checked.
            Failure failure = checkClaims(hit.claims());
            return failure != null ? failure : hit.valid();
        }
        Object outcome = parseAndVerify(token, keySet);
        if (outcome instanceof Failure failure) {
            return failure;
        }
        JWTClaimsSet claims = (JWTClaimsSet) outcome;
        Failure failure = checkClaims(claims);
        if (failure != null) {
            return failure;
        }
        Valid valid = new Valid(claims.getClaims());
        if (verified.size() >= VERIFIED_CACHE_SIZE) {
            verified.clear(); // bounded: only validly signed tokens get here, and they are re-verified after a clear
        }
        verified.put(token, new Verified(keySet, claims, valid));
        return valid;
    }

    /** Tokens whose signature was verified, so that a client's repeated token skips parsing and crypto. */
    private static final int VERIFIED_CACHE_SIZE = 4096;
    private final java.util.concurrent.ConcurrentHashMap<String, Verified> verified =
            new java.util.concurrent.ConcurrentHashMap<>();

    private record Verified(KeySet keys, JWTClaimsSet claims, Valid valid) {
    }

    /**
     * The claims of a token whose signature {@code keySet} verifies, or the failure. Nimbus parses the
     * header and the claims; the parts are split and base64url-decoded here with the JDK's decoder, which
     * costs a fraction of nimbus's constant-time one (meant for secrets: a token's parts are not). The
     * payload is decoded only once the signature holds.
     */
    private Object parseAndVerify(String token, KeySet keySet) {
        int first = token.indexOf('.');
        int second = first < 0 ? -1 : token.indexOf('.', first + 1);
        if (second < 0 || token.indexOf('.', second + 1) >= 0) {
            return Failure.MALFORMED; // not the three parts of a JWS
        }
        String signaturePart = token.substring(second + 1);
        if (signaturePart.isBlank()) {
            return Failure.MALFORMED;
        }
        JWSHeader header;
        try {
            String headerPart = token.substring(0, first);
            header = JWSHeader.parse(decodePart(headerPart), new Base64URL(headerPart));
        } catch (ParseException | RuntimeException e) {
            return Failure.MALFORMED;
        }
        if (!header.isBase64URLEncodePayload()) {
            return Failure.MALFORMED; // an unencoded payload (RFC 7797) is not a JWT
        }
        byte[] signingInput = token.substring(0, second).getBytes(StandardCharsets.UTF_8);
        Failure signature = verify(header, signingInput, signaturePart, keySet);
        if (signature != null) {
            return signature;
        }
        try {
            return JWTClaimsSet.parse(decodePart(token.substring(first + 1, second)));
        } catch (ParseException | RuntimeException e) {
            return Failure.MALFORMED;
        }
    }

    private static String decodePart(String part) {
        return new String(Base64.getUrlDecoder().decode(part), StandardCharsets.UTF_8);
    }

    private static Failure verify(JWSHeader header, byte[] signingInput, String signature, KeySet keySet) {
        JWSAlgorithm alg = header.getAlgorithm();
        String kid = header.getKeyID();
        boolean kidKnown = false;
        boolean algAccepted = false;
        for (KeySet.Entry key : keySet.entries()) {
            if (kid != null && key.kid() != null && !kid.equals(key.kid())) {
                continue;
            }
            kidKnown = true;
            if (!key.algorithms().contains(alg)) {
                continue;
            }
            algAccepted = true;
            try {
                if (key.signature().verify(header, signingInput, signature)) {
                    return null;
                }
            } catch (JOSEException | RuntimeException e) {
                // Not this key (or not a well-formed signature); try the next candidate.
            }
        }
        if (!kidKnown) {
            return Failure.UNKNOWN_KEY;
        }
        return algAccepted ? Failure.SIGNATURE : Failure.ALGORITHM;
    }

    private Failure checkClaims(JWTClaimsSet claims) {
        long now = clock.millis();
        Date exp = claims.getExpirationTime();
        if (exp == null) {
            return Failure.NO_EXPIRY;
        }
        if (now - skewMillis >= exp.getTime()) {
            return Failure.EXPIRED;
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && now + skewMillis < nbf.getTime()) {
            return Failure.NOT_YET_VALID;
        }
        if (issuer != null && !issuer.equals(claims.getIssuer())) {
            return Failure.ISSUER;
        }
        if (!audiences.isEmpty() && !anyAudience(claims.getAudience())) {
            return Failure.AUDIENCE;
        }
        if (!requiredScopes.isEmpty() && !hasScopes(claims)) {
            return Failure.SCOPE;
        }
        return null;
    }

    private boolean anyAudience(List<String> tokenAudiences) {
        for (String aud : tokenAudiences) {
            if (audiences.contains(aud)) {
                return true;
            }
        }
        return false;
    }

    private boolean hasScopes(JWTClaimsSet claims) {
        Object scope = claims.getClaim("scope");
        Object scp = claims.getClaim("scp");
        for (String required : requiredScopes) {
            if (!(hasScope(scope, required) || hasScope(scp, required))) {
                return false;
            }
        }
        return true;
    }

    private static boolean hasScope(Object claim, String required) {
        if (claim instanceof String s) {
            int from = 0;
            while (from <= s.length()) {
                int space = s.indexOf(' ', from);
                int end = space < 0 ? s.length() : space;
                if (end - from == required.length() && s.startsWith(required, from)) {
                    return true;
                }
                if (space < 0) {
                    return false;
                }
                from = space + 1;
            }
            return false;
        }
        if (claim instanceof Collection<?> c) {
            return c.contains(required);
        }
        return false;
    }
}
