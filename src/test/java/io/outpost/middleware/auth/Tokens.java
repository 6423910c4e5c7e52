package io.outpost.middleware.auth;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

/** Keys and signed tokens for tests. */
public final class Tokens {

    private Tokens() {
    }

    public static RSAKey rsa(String kid) {
        try {
            return new RSAKeyGenerator(2048).keyID(kid).generate();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static ECKey ec(String kid) {
        try {
            return new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Claims for sub {@code alice}, issuer {@code https://idp.test}, audience {@code pos}, valid for 5 minutes from {@code now}. */
    public static JWTClaimsSet.Builder claims(Instant now) {
        return new JWTClaimsSet.Builder().subject("alice").issuer("https://idp.test").audience(List.of("pos"))
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plus(Duration.ofMinutes(5))))
                .claim("scope", "pos:read pos:write");
    }

    public static String sign(RSAKey key, JWSAlgorithm alg, JWTClaimsSet claims) {
        try {
            return sign(new RSASSASigner(key), new JWSHeader.Builder(alg).keyID(key.getKeyID()).build(), claims);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static String sign(ECKey key, JWTClaimsSet claims) {
        try {
            return sign(new ECDSASigner(key), new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).build(), claims);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static String sign(JWSSigner signer, JWSHeader header, JWTClaimsSet claims) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(header).type(JOSEObjectType.JWT).build(), claims);
            jwt.sign(signer);
            return jwt.serialize();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
