package io.outpost.middleware.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.impl.CriticalHeaderParamsDeferral;
import com.nimbusds.jose.crypto.impl.RSASSA;
import java.security.InvalidKeyException;
import java.security.Signature;
import java.security.SignatureException;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;
import java.util.List;

/**
 * RS256 to PS512 with one RSA public key: the same JDK signature nimbus's {@code RSASSAVerifier} gets from
 * {@link RSASSA}, with the same critical-header rule, but created and initialised once per thread and
 * algorithm instead of per token. {@link Signature#verify(byte[])} returns it to its initialised state, so
 * the next token on that thread only hashes and does the RSA operation. The signature is decoded with the
 * JDK's base64 decoder; nimbus's constant-time decoder is meant for secrets, and a token's signature is
 * not one.
 */
final class RsaSignatureCheck implements SignatureCheck {

    /** The algorithms an RSA key verifies; a position here is a slot in each thread's signatures. */
    static final List<JWSAlgorithm> ALGORITHMS = List.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384,
            JWSAlgorithm.RS512, JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512);

    private final RSAPublicKey key;
    private final CriticalHeaderParamsDeferral critical = new CriticalHeaderParamsDeferral();
    /** This thread's initialised signature per algorithm (index in {@link #ALGORITHMS}); null until first used. */
    private final ThreadLocal<Signature[]> signatures = ThreadLocal.withInitial(() -> new Signature[ALGORITHMS.size()]);

    RsaSignatureCheck(RSAPublicKey key) {
        this.key = key;
    }

    @Override
    public boolean verify(JWSHeader header, byte[] signingInput, String signature) throws JOSEException {
        if (!critical.headerPasses(header)) {
            return false;
        }
        int slot = ALGORITHMS.indexOf(header.getAlgorithm());
        if (slot < 0) {
            throw new JOSEException("not an RSA signature algorithm: " + header.getAlgorithm());
        }
        byte[] decoded;
        try {
            decoded = Base64.getUrlDecoder().decode(signature);
        } catch (IllegalArgumentException e) {
            return false;
        }
        Signature[] mine = signatures.get();
        Signature verifier = mine[slot];
        if (verifier == null) {
            verifier = RSASSA.getSignerAndVerifier(header.getAlgorithm(), null);
            try {
                verifier.initVerify(key);
            } catch (InvalidKeyException e) {
                throw new JOSEException("invalid RSA public key: " + e.getMessage(), e);
            }
        }
        // Taken out while in use; put back only after verify() has reset it (a provider need not reset
        // when it throws, and leftover bytes would spoil the next token's hash).
        mine[slot] = null;
        try {
            verifier.update(signingInput);
            boolean valid = verifier.verify(decoded);
            mine[slot] = verifier;
            return valid;
        } catch (SignatureException e) {
            return false;
        }
    }
}
