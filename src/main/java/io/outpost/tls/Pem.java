package io.outpost.tls;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;

/**
 * Reads and writes PEM. Keys may be PKCS#8 ({@code PRIVATE KEY}) or the older PKCS#1/SEC1 forms
 * ({@code RSA PRIVATE KEY}, {@code EC PRIVATE KEY}) that openssl and many tools still write;
 * encrypted keys are not supported.
 */
public final class Pem {

    private Pem() {}

    /** Every certificate in {@code file}, in file order (leaf first for a chain). */
    public static List<X509Certificate> certificates(Path file) throws IOException {
        List<X509Certificate> out = certificates(Files.readString(file, StandardCharsets.US_ASCII));
        if (out.isEmpty()) {
            throw new IOException(file + ": no PEM certificate found");
        }
        return out;
    }

    public static List<X509Certificate> certificates(String pem) throws IOException {
        List<X509Certificate> out = new ArrayList<>();
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object o;
            while ((o = parser.readObject()) != null) {
                if (o instanceof X509CertificateHolder holder) {
                    out.add(converter.getCertificate(holder));
                }
            }
        } catch (CertificateException e) {
            throw new IOException("bad certificate: " + e.getMessage(), e);
        }
        return out;
    }

    /** The first private key in {@code file}. */
    public static PrivateKey privateKey(Path file) throws IOException {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII)) {
            return privateKey(reader, file.toString());
        }
    }

    public static PrivateKey privateKey(String pem) throws IOException {
        return privateKey(new StringReader(pem), "PEM text");
    }

    private static PrivateKey privateKey(Reader reader, String source) throws IOException {
        try (PEMParser parser = new PEMParser(reader)) {
            Object o;
            while ((o = parser.readObject()) != null) {
                if (o instanceof PrivateKeyInfo info) {
                    return jdkPrivateKey(info);
                }
                if (o instanceof PEMKeyPair pair) {
                    return jdkPrivateKey(pair.getPrivateKeyInfo());
                }
            }
        }
        throw new IOException(source + ": no unencrypted PEM private key found");
    }

    /** A key pair written by {@link #write} as a public and a private key. */
    public static KeyPair keyPair(String pem) throws IOException {
        PublicKey publicKey = null;
        PrivateKey privateKey = null;
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object o;
            while ((o = parser.readObject()) != null) {
                if (o instanceof SubjectPublicKeyInfo info) {
                    publicKey = jdkPublicKey(info);
                } else if (o instanceof PrivateKeyInfo info) {
                    privateKey = jdkPrivateKey(info);
                }
            }
        }
        if (publicKey == null || privateKey == null) {
            throw new IOException("expected a PEM public key and private key");
        }
        return new KeyPair(publicKey, privateKey);
    }

    /**
     * Keys from the JDK's own providers, whatever else is installed (acme4j installs BouncyCastle,
     * whose EC keys call themselves "ECDSA" and are not what the JDK's TLS expects).
     */
    private static PrivateKey jdkPrivateKey(PrivateKeyInfo info) throws IOException {
        try {
            return KeyFactory.getInstance(algorithm(info.getPrivateKeyAlgorithm().getAlgorithm().getId()))
                    .generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IOException("unusable private key: " + e.getMessage(), e);
        }
    }

    private static PublicKey jdkPublicKey(SubjectPublicKeyInfo info) throws IOException {
        try {
            return KeyFactory.getInstance(algorithm(info.getAlgorithm().getAlgorithm().getId()))
                    .generatePublic(new X509EncodedKeySpec(info.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IOException("unusable public key: " + e.getMessage(), e);
        }
    }

    private static String algorithm(String oid) throws IOException {
        return switch (oid) {
            case "1.2.840.113549.1.1.1" -> "RSA";
            case "1.2.840.113549.1.1.10" -> "RSASSA-PSS";
            case "1.2.840.10045.2.1" -> "EC";
            case "1.3.101.112" -> "Ed25519";
            default -> throw new IOException("unsupported key algorithm " + oid + " (expected: RSA, EC or Ed25519)");
        };
    }

    /**
     * PEM text of certificates, lists of them, private keys (as PKCS#8) and key pairs (as a public
     * and a PKCS#8 private key).
     */
    public static String write(Object... objects) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            for (Object o : objects) {
                if (o instanceof List<?> list) {
                    for (Object item : list) {
                        writer.writeObject(item);
                    }
                } else if (o instanceof KeyPair pair) {
                    writer.writeObject(pair.getPublic());
                    writer.writeObject(new JcaPKCS8Generator(pair.getPrivate(), null));
                } else if (o instanceof PrivateKey key) {
                    writer.writeObject(new JcaPKCS8Generator(key, null));
                } else {
                    writer.writeObject(o);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot write PEM to memory", e);
        }
        return out.toString();
    }
}
