package io.outpost.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * TLS settings: on an entry point (termination), on a router (which certificate resolver obtains its
 * certificate) and on a load balancer (TLS to https:// endpoints). Only file paths live here: key
 * material is read by {@code io.outpost.tls} and never becomes part of a snapshot or of {@code /api/config}.
 */
public final class TlsConfig {

    public static final String TLS_1_2 = "TLSv1.2";
    public static final String TLS_1_3 = "TLSv1.3";

    private TlsConfig() {}

    /**
     * {@code entryPoints.<name>.tls}. The first certificate is the default one, served when SNI names
     * no certificate; an entry point may have none when ACME provides them all.
     */
    public record EntryPoint(List<CertificateFiles> certificates, String minVersion, List<String> cipherSuites,
                             Optional<ClientAuth> clientAuth) {
        public EntryPoint {
            certificates = List.copyOf(certificates);
            Objects.requireNonNull(minVersion, "minVersion");
            cipherSuites = List.copyOf(cipherSuites);
            Objects.requireNonNull(clientAuth, "clientAuth");
        }
    }

    /** A PEM certificate chain (leaf first) and its PEM private key. */
    public record CertificateFiles(Path certFile, Path keyFile) {
        public CertificateFiles {
            Objects.requireNonNull(certFile, "certFile");
            Objects.requireNonNull(keyFile, "keyFile");
        }
    }

    /** Client certificates: {@code mode} is {@code none}, {@code request} or {@code require}. */
    public record ClientAuth(List<Path> caFiles, String mode) {
        public ClientAuth {
            caFiles = List.copyOf(caFiles);
            Objects.requireNonNull(mode, "mode");
        }
    }

    /** {@code http.routers.<name>.tls}: the resolver that obtains the router's certificate, and its domains. */
    public record Router(Optional<String> certResolver, List<String> domains) {
        public Router {
            Objects.requireNonNull(certResolver, "certResolver");
            domains = List.copyOf(domains);
        }
    }

    /**
     * {@code loadBalancer.tls}: how https:// endpoints are verified and what the gateway presents to
     * them. {@code serverName} is the SNI and the name verified (default: the endpoint's host).
     */
    public record Upstream(List<Path> caFiles, Optional<CertificateFiles> clientCertificate,
                           Optional<String> serverName, boolean insecureSkipVerify) {
        public static final Upstream DEFAULT = new Upstream(List.of(), Optional.empty(), Optional.empty(), false);

        public Upstream {
            caFiles = List.copyOf(caFiles);
            Objects.requireNonNull(clientCertificate, "clientCertificate");
            Objects.requireNonNull(serverName, "serverName");
        }
    }

    /** {@code certificatesResolvers.<name>}: today only ACME. */
    public record Resolver(Acme acme) {
        public Resolver {
            Objects.requireNonNull(acme, "acme");
        }
    }

    /**
     * An ACME account and where its certificates are kept. {@code caCertificates} are PEM files the
     * ACME server's own HTTPS certificate must chain to, for a private CA (empty: the JDK's trust store).
     */
    public record Acme(Optional<String> email, Path storage, URI caServer, String httpChallengeEntryPoint,
                       List<Path> caCertificates) {
        public static final URI LETS_ENCRYPT = URI.create("https://acme-v02.api.letsencrypt.org/directory");

        public Acme {
            Objects.requireNonNull(email, "email");
            Objects.requireNonNull(storage, "storage");
            Objects.requireNonNull(caServer, "caServer");
            Objects.requireNonNull(httpChallengeEntryPoint, "httpChallengeEntryPoint");
            caCertificates = List.copyOf(caCertificates);
        }
    }
}
