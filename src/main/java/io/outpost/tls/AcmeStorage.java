package io.outpost.tls;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One resolver's ACME state in one JSON file, like Traefik's {@code acme.json}: the account key and
 * URL, and each certificate with its private key. The file holds private keys, so it is created
 * with permissions 0600 and replaced atomically (a crash never leaves half a file). Not thread-safe:
 * the resolver's single ACME thread owns it.
 */
final class AcmeStorage {

    static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The file's layout. */
    record Data(Account account, List<Stored> certificates) {
        Data {
            certificates = certificates == null ? List.of() : List.copyOf(certificates);
        }
    }

    /** The account key (PEM) and where the CA keeps the account. */
    record Account(String keyPem, String url, String caServer) {}

    /** A certificate for a set of domains: chain and key in PEM. */
    record Stored(List<String> domains, String chainPem, String keyPem) {
        Stored {
            domains = List.copyOf(domains);
        }

        CertifiedKey certifiedKey() throws IOException {
            return CertifiedKey.of(Pem.certificates(chainPem), Pem.privateKey(keyPem));
        }
    }

    private final Path file;
    private Data data = new Data(null, List.of());

    AcmeStorage(Path file) {
        this.file = file;
    }

    Path file() {
        return file;
    }

    /** Reads the file if it exists; a missing file is an empty store. */
    void load() throws IOException {
        if (Files.exists(file)) {
            data = JSON.readValue(file.toFile(), Data.class);
        }
    }

    Optional<Account> account() {
        return Optional.ofNullable(data.account());
    }

    void account(KeyPair key, String url, String caServer) throws IOException {
        data = new Data(new Account(Pem.write(key), url, caServer), data.certificates());
        save();
    }

    static KeyPair keyPair(Account account) throws IOException {
        return Pem.keyPair(account.keyPem());
    }

    List<Stored> certificates() {
        return data.certificates();
    }

    Optional<Stored> certificate(List<String> domains) {
        return data.certificates().stream().filter(c -> Set.copyOf(c.domains()).equals(Set.copyOf(domains))).findFirst();
    }

    /** Stores (or replaces) the certificate for {@code domains} and writes the file. */
    void certificate(List<String> domains, List<X509Certificate> chain, PrivateKey key) throws IOException {
        List<Stored> certs = new ArrayList<>();
        for (Stored s : data.certificates()) {
            if (!Set.copyOf(s.domains()).equals(Set.copyOf(domains))) {
                certs.add(s);
            }
        }
        certs.add(new Stored(domains, Pem.write(chain), Pem.write(key)));
        data = new Data(data.account(), certs);
        save();
    }

    private void save() throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path temp = dir.resolve("." + file.getFileName() + ".tmp");
        Files.deleteIfExists(temp);
        try {
            Files.createFile(temp, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } catch (UnsupportedOperationException e) {
            Files.createFile(temp); // not a POSIX file system
        } catch (FileAlreadyExistsException e) {
            throw new IOException("cannot create " + temp + ": another process writes it", e);
        }
        Files.write(temp, JSON.writeValueAsBytes(data));
        try (var channel = java.nio.channels.FileChannel.open(temp, java.nio.file.StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
