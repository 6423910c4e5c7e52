package io.outpost.middleware.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Verification keys with the algorithms each accepts. The algorithms follow from the key type (and a
 * JWK's own {@code alg}, when it names one), never from the token: an RSA key verifies only RS and PS
 * signatures, an EC key only the ES algorithm of its curve, a secret only HS256. That closes
 * {@code alg: none} and the HS256-with-the-RSA-public-key confusion. Signature checks are built once here.
 */
final class KeySet {

    static final KeySet EMPTY = new KeySet(List.of());

    private static final Set<JWSAlgorithm> RSA = Set.copyOf(RsaSignatureCheck.ALGORITHMS);
    private static final Set<JWSAlgorithm> HMAC = Set.of(JWSAlgorithm.HS256);

    /** One key: its id (may be null), the algorithms it accepts, and its signature check. */
    record Entry(String kid, Set<JWSAlgorithm> algorithms, SignatureCheck signature) {
    }

    private final List<Entry> entries;

    private KeySet(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    List<Entry> entries() {
        return entries;
    }

    boolean isEmpty() {
        return entries.isEmpty();
    }

    /** A set of one HMAC secret (at least 32 bytes), accepting HS256 only. */
    static KeySet ofSecret(byte[] secret) {
        try {
            return new KeySet(List.of(new Entry(null, HMAC, SignatureCheck.of(new MACVerifier(secret)))));
        } catch (JOSEException e) {
            throw new IllegalArgumentException("secret: " + e.getMessage(), e);
        }
    }

    /**
     * The signature keys of a JWK set. Keys meant for encryption, and types or curves this gateway does
     * not verify with, are skipped.
     *
     * @throws IllegalArgumentException when no key is usable
     */
    static KeySet of(JWKSet jwks) {
        List<Entry> out = new ArrayList<>();
        for (JWK jwk : jwks.getKeys()) {
            if (KeyUse.ENCRYPTION.equals(jwk.getKeyUse())) {
                continue;
            }
            try {
                Entry e = entry(jwk);
                if (e != null) {
                    out.add(e);
                }
            } catch (JOSEException | RuntimeException e) {
                // A broken key is skipped; the others still verify.
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no usable signature key in the JWK set");
        }
        return new KeySet(out);
    }

    private static Entry entry(JWK jwk) throws JOSEException {
        Set<JWSAlgorithm> algs;
        SignatureCheck check;
        if (jwk instanceof RSAKey rsa) {
            algs = RSA;
            check = new RsaSignatureCheck(rsa.toRSAPublicKey());
        } else if (jwk instanceof ECKey ec) {
            Curve curve = ec.getCurve();
            if (Curve.P_256.equals(curve)) {
                algs = Set.of(JWSAlgorithm.ES256);
            } else if (Curve.P_384.equals(curve)) {
                algs = Set.of(JWSAlgorithm.ES384);
            } else {
                return null;
            }
            check = SignatureCheck.of(new ECDSAVerifier(ec.toECPublicKey()));
        } else if (jwk instanceof OctetSequenceKey oct) {
            algs = HMAC;
            check = SignatureCheck.of(new MACVerifier(oct.toByteArray()));
        } else {
            return null;
        }
        if (jwk.getAlgorithm() != null) {
            JWSAlgorithm declared = JWSAlgorithm.parse(jwk.getAlgorithm().getName());
            if (!algs.contains(declared)) {
                return null;
            }
            algs = Set.of(declared);
        }
        return new Entry(jwk.getKeyID(), algs, check);
    }
}
