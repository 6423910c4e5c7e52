package io.outpost.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * A certificate chain and the private key that goes with its leaf, plus the DNS names the leaf is
 * valid for (its subject alternative names, or its common name when it has none). Loading checks that
 * the key really belongs to the certificate, so a half-replaced pair of files is refused rather than
 * served.
 */
public record CertifiedKey(List<X509Certificate> chain, PrivateKey key, Set<String> names) {

    public CertifiedKey {
        chain = List.copyOf(chain);
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("chain: empty (expected: at least the leaf certificate)");
        }
        names = Set.copyOf(names);
    }

    /** A chain and key, with the names read from the leaf; fails when the key does not match it. */
    public static CertifiedKey of(List<X509Certificate> chain, PrivateKey key) throws IOException {
        checkPair(chain.get(0), key);
        return new CertifiedKey(chain, key, namesOf(chain.get(0)));
    }

    /** Reads a PEM chain and a PEM key. */
    public static CertifiedKey load(Path certFile, Path keyFile) throws IOException {
        return of(Pem.certificates(certFile), Pem.privateKey(keyFile));
    }

    public X509Certificate leaf() {
        return chain.get(0);
    }

    public Instant notAfter() {
        return leaf().getNotAfter().toInstant();
    }

    /** Lower-case DNS names of {@code cert}: DNS subject alternative names, else the subject's CN. */
    static Set<String> namesOf(X509Certificate cert) throws IOException {
        Set<String> names = new LinkedHashSet<>();
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (Integer.valueOf(2).equals(san.get(0))) {
                        names.add(san.get(1).toString().toLowerCase(Locale.ROOT));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            throw new IOException("bad subject alternative names: " + e.getMessage(), e);
        }
        if (names.isEmpty()) {
            try {
                for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
                    if (rdn.getType().equalsIgnoreCase("CN")) {
                        names.add(rdn.getValue().toString().toLowerCase(Locale.ROOT));
                    }
                }
            } catch (InvalidNameException e) {
                throw new IOException("bad subject name: " + e.getMessage(), e);
            }
        }
        return names;
    }

    /** The private key is not the one of the certificate (for example a half-replaced pair of files). */
    public static final class KeyMismatchException extends IOException {
        private final String subject;

        KeyMismatchException(String subject, Throwable cause) {
            super("the private key does not belong to the certificate " + subject
                    + (cause == null ? "" : ": " + cause.getMessage()), cause);
            this.subject = subject;
        }

        /** The certificate's subject, for example {@code CN=shop.example.com}. */
        public String subject() {
            return subject;
        }
    }

    private static void checkPair(X509Certificate cert, PrivateKey key) throws IOException {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> throw new IOException("unsupported key algorithm " + key.getAlgorithm()
                    + " (expected: RSA, EC or Ed25519)");
        };
        byte[] probe = "outpost key check".getBytes(StandardCharsets.US_ASCII);
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(cert.getPublicKey());
            verifier.update(probe);
            if (!verifier.verify(signature)) {
                throw new KeyMismatchException(cert.getSubjectX500Principal().getName(), null);
            }
        } catch (GeneralSecurityException e) {
            throw new KeyMismatchException(cert.getSubjectX500Principal().getName(), e);
        }
    }
}
