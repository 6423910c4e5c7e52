package io.outpost.middleware.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.util.Base64URL;

/**
 * One key's check of a compact JWS signature. Taking the token's parts as they arrive lets each key type
 * decode the signature its own way: RSA keys with the JDK ({@link RsaSignatureCheck}), the others through
 * nimbus's verifiers. Implementations are safe for concurrent use.
 */
interface SignatureCheck {

    /**
     * Whether {@code signature} signs {@code signingInput} under the header's algorithm. A signature that is
     * not well formed, or a header with a critical parameter the check does not process, gives false.
     *
     * @param signingInput the token up to its second dot, UTF-8 encoded
     * @param signature the token's third part, base64url-encoded
     */
    boolean verify(JWSHeader header, byte[] signingInput, String signature) throws JOSEException;

    /** A check through a nimbus verifier, which rejects unknown critical header parameters itself. */
    static SignatureCheck of(JWSVerifier verifier) {
        return (header, signingInput, signature) -> verifier.verify(header, signingInput, new Base64URL(signature));
    }
}
