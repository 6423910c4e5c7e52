package io.outpost.config;

import java.nio.file.Path;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Checks the contents of TLS files during validation: that a file holds PEM certificates, and that
 * a key file holds a private key that belongs to its certificate. Reading PEM lives in the TLS
 * package; this seam keeps configuration loading independent of it, as {@link RuleChecker} does for
 * rules. Each method returns empty when the file or pair is usable, else a message that starts with
 * the file's name (or, for a pair, says which certificate the key does not belong to).
 *
 * <pre>{@code
 * new ConfigLoader(RuleChecker.installed(), CertificateChecker.installed()).load(path);
 * }</pre>
 */
public interface CertificateChecker {

    /** Accepts every file; only existence and readability are then checked. */
    CertificateChecker ACCEPT_ALL = new CertificateChecker() {
        @Override
        public Optional<String> certificates(Path file) {
            return Optional.empty();
        }

        @Override
        public Optional<String> pair(Path certFile, Path keyFile) {
            return Optional.empty();
        }
    };

    /** Empty when {@code file} holds at least one PEM certificate, else what is wrong with it. */
    Optional<String> certificates(Path file);

    /**
     * Empty when {@code keyFile} holds a PEM private key that belongs to the (leaf) certificate in
     * {@code certFile}, else what is wrong with the key. Called once {@code certFile} has passed
     * {@link #certificates}.
     */
    Optional<String> pair(Path certFile, Path keyFile);

    /**
     * The checker registered with {@link ServiceLoader} (the TLS package registers one in
     * {@code META-INF/services/io.outpost.config.CertificateChecker}), else {@link #ACCEPT_ALL}.
     */
    static CertificateChecker installed() {
        return ServiceLoader.load(CertificateChecker.class).findFirst().orElse(ACCEPT_ALL);
    }
}
