package io.outpost.tls;

import io.outpost.config.CertificateChecker;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Connects configuration validation to PEM loading, so that a file {@code check} accepts is one this
 * package can load: certificates and keys are read as {@link TlsRuntime} reads them, and a key that
 * does not belong to its certificate is refused. Registered for {@link CertificateChecker#installed()}
 * through ServiceLoader.
 */
public final class PemCertificateChecker implements CertificateChecker {

    @Override
    public Optional<String> certificates(Path file) {
        try {
            Pem.certificates(file);
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.of(problem(file, e));
        }
    }

    @Override
    public Optional<String> pair(Path certFile, Path keyFile) {
        try {
            CertifiedKey.load(certFile, keyFile);
            return Optional.empty();
        } catch (CertifiedKey.KeyMismatchException e) {
            return Optional.of("does not belong to the certificate in certFile (" + certFile + ", " + e.subject() + ")");
        } catch (IOException | RuntimeException e) {
            return Optional.of(problem(keyFile, e)); // the certificate passed certificates(): the key is at fault
        }
    }

    /** What reading {@code file} failed with, starting with the file's name. */
    private static String problem(Path file, Exception e) {
        String message = e instanceof CharacterCodingException ? "not a PEM file (expected text with -----BEGIN lines)"
                : e.getMessage() == null || e.getMessage().isBlank() ? e.getClass().getSimpleName()
                : e instanceof IOException ? e.getMessage() : "not readable as PEM: " + e.getMessage();
        return message.startsWith(file.toString()) ? message : file + ": " + message;
    }
}
