package io.outpost.config;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * Binds the TLS keys: {@code entryPoints.<name>.tls}, {@code http.routers.<name>.tls},
 * {@code loadBalancer.tls} and {@code certificatesResolvers}. Files must exist, be readable and hold
 * what they should when the configuration is loaded: CA files parse as PEM certificates, and a
 * {@code certFile}/{@code keyFile} pair parses and the key belongs to the certificate. The contents are
 * checked through the load's {@link CertificateChecker}; with the installed one, a file that {@code check}
 * accepts is one that {@code io.outpost.tls} can load (unless it changes on disk in between).
 */
final class TlsBinder {

    private static final Set<String> CLIENT_AUTH_MODES = Set.of("none", "request", "require");

    private TlsBinder() {}

    static Optional<TlsConfig.EntryPoint> entryPoint(Node node) {
        if (!node.present() || !node.mapping("certificates", "minVersion", "cipherSuites", "clientAuth")) {
            return Optional.empty();
        }
        List<TlsConfig.CertificateFiles> certificates = new java.util.ArrayList<>();
        for (Node item : node.list("certificates")) {
            if (item.mapping("certFile", "keyFile")) {
                Optional<Path> cert = requiredFile(item, "certFile");
                Optional<Path> key = requiredFile(item, "keyFile");
                if (cert.isPresent() && key.isPresent() && pair(item, cert.get(), key.get())) {
                    certificates.add(new TlsConfig.CertificateFiles(cert.get(), key.get()));
                }
            }
        }
        String minVersion = node.choice("minVersion", TlsConfig.TLS_1_2, TlsConfig.TLS_1_2, TlsConfig.TLS_1_3);
        List<String> ciphers = RootBinder.strings(node, "cipherSuites");
        Set<String> supported = supportedCipherSuites();
        List<Node> cipherNodes = node.at("cipherSuites").isList() ? node.list("cipherSuites") : List.of();
        for (Node item : cipherNodes) {
            String name = item.quietText();
            if (name != null && !supported.contains(name)) {
                item.error("unknown cipher suite '" + name + "' (expected a suite this JDK supports, for example "
                        + "TLS_AES_128_GCM_SHA256 or TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)");
            }
        }
        return Optional.of(new TlsConfig.EntryPoint(certificates, minVersion, ciphers, clientAuth(node.section("clientAuth"))));
    }

    private static Optional<TlsConfig.ClientAuth> clientAuth(Node node) {
        if (!node.present() || !node.mapping("caFiles", "mode")) {
            return Optional.empty();
        }
        String mode = node.string("mode", "require");
        if (!CLIENT_AUTH_MODES.contains(mode)) {
            node.at("mode").error("'" + mode + "' (expected one of none, request, require)");
            mode = "require";
        }
        List<Path> caFiles = files(node, "caFiles");
        if (!mode.equals("none") && !node.has("caFiles")) {
            node.at("caFiles").error("is required when mode is " + mode
                    + " (expected: PEM files of the CAs that sign client certificates)");
        }
        return Optional.of(new TlsConfig.ClientAuth(caFiles, mode));
    }

    static Optional<TlsConfig.Router> router(Node node) {
        if (!node.present() || !node.mapping("certResolver", "domains")) {
            return Optional.empty();
        }
        Optional<String> resolver = node.parsed("certResolver", text -> text);
        List<Node> items = node.list("domains");
        for (Node item : items) {
            String domain = item.quietText();
            if (domain != null && !isDomain(domain)) {
                item.error("\"" + domain + "\" is not a domain name (expected for example shop.example.com)");
            }
        }
        if (node.has("domains") && !node.has("certResolver")) {
            node.at("domains").error("has no effect without certResolver (expected: certResolver names the resolver "
                    + "that obtains a certificate for these domains)");
        }
        return Optional.of(new TlsConfig.Router(resolver, RootBinder.strings(node, "domains")));
    }

    /** {@code loadBalancer.tls}, {@code replicated.tls} or {@code forwardAuth.tls}; {@code anyHttps}: whether it applies to any URL. */
    static Optional<TlsConfig.Upstream> upstream(Node node, boolean anyHttps) {
        if (!node.present() || !node.mapping("caFiles", "certFile", "keyFile", "serverName", "insecureSkipVerify")) {
            return Optional.empty();
        }
        List<Path> caFiles = files(node, "caFiles");
        Optional<Path> cert = node.has("certFile") ? requiredFile(node, "certFile") : Optional.empty();
        Optional<Path> key = node.has("keyFile") ? requiredFile(node, "keyFile") : Optional.empty();
        if (node.has("certFile") != node.has("keyFile")) {
            node.at(node.has("certFile") ? "keyFile" : "certFile")
                    .error("is required with " + (node.has("certFile") ? "certFile" : "keyFile")
                            + " (expected: both the client certificate and its key, for mTLS)");
        }
        Optional<String> serverName = node.parsed("serverName", text -> {
            if (!isDomain(text)) {
                throw new IllegalArgumentException("\"" + text + "\" is not a host name (expected for example api.internal)");
            }
            return text;
        });
        boolean insecure = node.bool("insecureSkipVerify", false);
        if (insecure) {
            node.at("insecureSkipVerify").warn("upstream certificates are NOT verified: anyone on the path can read "
                    + "and change this traffic; use caFiles instead");
            if (!caFiles.isEmpty()) {
                node.at("caFiles").warn("ignored: insecureSkipVerify is true");
            }
        }
        if (!anyHttps) {
            node.warn("ignored: no https:// URL here to apply it to");
        }
        boolean usablePair = cert.isPresent() && key.isPresent() && pair(node, cert.get(), key.get());
        return Optional.of(new TlsConfig.Upstream(caFiles,
                usablePair ? Optional.of(new TlsConfig.CertificateFiles(cert.get(), key.get())) : Optional.empty(),
                serverName, insecure));
    }

    static Map<String, TlsConfig.Resolver> resolvers(Node node) {
        Map<String, TlsConfig.Resolver> out = new LinkedHashMap<>();
        if (!node.present()) {
            return out;
        }
        node.entries().forEach((name, resolver) -> {
            if (!resolver.mapping("acme")) {
                return;
            }
            Node body = resolver.section("acme");
            if (!body.present()) {
                resolver.error("missing required key 'acme' (the only kind of resolver so far)");
                return;
            }
            acme(body).ifPresent(acme -> out.put(name, new TlsConfig.Resolver(acme)));
        });
        return out;
    }

    private static Optional<TlsConfig.Acme> acme(Node node) {
        if (!node.mapping("email", "storage", "caServer", "httpChallenge", "tlsChallenge", "caCertificates")) {
            return Optional.empty();
        }
        Optional<String> email = node.parsed("email", text -> {
            if (!text.matches("[^@\\s]+@[^@\\s]+\\.[^@\\s]+")) {
                throw new IllegalArgumentException("\"" + text + "\" is not an e-mail address");
            }
            return text;
        });
        Optional<Path> storage = node.has("storage") ? node.parsed("storage", TlsBinder::path)
                : RootBinder.missing(node, "storage", Optional.empty());
        storage.filter(Files::isDirectory).ifPresent(p -> node.at("storage")
                .error(p + " is a directory (expected: a file, for example data/acme.json)"));
        URI caServer = node.parsed("caServer", text -> HttpUrls.parse(text, " (expected: the ACME directory URL)"))
                .orElse(TlsConfig.Acme.LETS_ENCRYPT);
        if (node.section("tlsChallenge").present()) {
            node.at("tlsChallenge").error("is not supported yet (expected: httpChallenge)");
        }
        String entryPoint = "";
        Node http = node.section("httpChallenge");
        if (!http.present()) {
            node.at("httpChallenge").error("is required (expected: httpChallenge: { entryPoint: web })");
        } else if (http.mapping("entryPoint")) {
            entryPoint = http.requiredString("entryPoint");
        }
        List<Path> caCertificates = files(node, "caCertificates");
        String challengeEntryPoint = entryPoint;
        return storage.map(s -> new TlsConfig.Acme(email, s, caServer, challengeEntryPoint, caCertificates));
    }

    /** Checks names that TLS keys refer to: resolvers in routers, entry points in challenges. */
    static void crossCheck(Node root, OutpostConfig config) {
        Set<String> resolvers = root.at("certificatesResolvers").keys();
        Set<String> entryPoints = root.at("entryPoints").keys();
        config.http().routers().forEach((name, router) -> router.tls().flatMap(TlsConfig.Router::certResolver)
                .filter(r -> !resolvers.contains(r))
                .ifPresent(r -> root.at("http").at("routers").at(name).at("tls").at("certResolver")
                        .error("unknown certificate resolver '" + r + "'")));
        config.certificatesResolvers().forEach((name, resolver) -> {
            String ep = resolver.acme().httpChallengeEntryPoint();
            if (!ep.isEmpty() && !entryPoints.contains(ep)) {
                root.at("certificatesResolvers").at(name).at("acme").at("httpChallenge").at("entryPoint")
                        .error("unknown entry point '" + ep + "'");
            }
        });
    }

    /**
     * An admin server on a non-loopback address must demand credentials: without them anyone who can
     * reach the port could read the configuration and change routing.
     */
    static void adminAuth(Node node, AdminConfig admin) {
        if (admin.auth().isEmpty() && !isLoopback(admin.address().host())) {
            node.at("auth").error("is required when admin.address (" + admin.address()
                    + ") is not a loopback address (expected: auth: { token: ... }, or address 127.0.0.1:PORT)");
        }
    }

    static boolean isLoopback(String host) {
        return host.equals("localhost") || host.startsWith("127.") || host.equals("::1")
                || host.equals("0:0:0:0:0:0:0:1");
    }

    private static List<Path> files(Node node, String key) {
        List<Path> out = new java.util.ArrayList<>();
        for (Node item : node.list(key)) {
            item.parse(TlsBinder::path).filter(p -> readable(item, p) && certificates(item, p))
                    .ifPresent(out::add);
        }
        if (node.has(key) && out.isEmpty() && node.at(key).isList() && node.list(key).isEmpty()) {
            node.at(key).error("expected at least one file");
        }
        return out;
    }

    private static Optional<Path> requiredFile(Node node, String key) {
        if (!node.has(key)) {
            node.error("missing required key '" + key + "'");
            return Optional.empty();
        }
        Node child = node.at(key);
        return child.parse(TlsBinder::path).filter(p -> readable(child, p));
    }

    private static boolean readable(Node node, Path path) {
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            node.error(path + ": no such readable file");
            return false;
        }
        return true;
    }

    /**
     * Checks the pair under {@code node} as the TLS code will load it: errors go to {@code certFile} when
     * the certificate cannot be read, else to {@code keyFile} (an unreadable key, or one that does not
     * belong to the certificate). Returns whether the pair is usable.
     */
    private static boolean pair(Node node, Path certFile, Path keyFile) {
        return certificates(node.at("certFile"), certFile)
                && ok(node.at("keyFile"), () -> node.certificates().pair(certFile, keyFile));
    }

    /** Whether the PEM {@code file} holds certificates; if not, an error at {@code node}. */
    private static boolean certificates(Node node, Path file) {
        return ok(node, () -> node.certificates().certificates(file));
    }

    /** Whether {@code check} finds nothing wrong; if it does, or fails, an error at {@code node}. */
    private static boolean ok(Node node, Supplier<Optional<String>> check) {
        Optional<String> problem;
        try {
            problem = check.get();
        } catch (RuntimeException e) {
            problem = Optional.of("could not be checked: " + e);
        }
        problem.ifPresent(node::error);
        return problem.isEmpty();
    }

    /** A file path as written; a value the file system cannot take (a NUL character) is an error, not a crash. */
    static Path path(String text) {
        try {
            return Path.of(text);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("\"" + text + "\" is not a file path");
        }
    }

    private static boolean isDomain(String text) {
        return text.matches("(\\*\\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
                && text.length() <= 253;
    }

    private static Set<String> supportedCipherSuites() {
        try {
            return Set.of(SSLContext.getDefault().getSupportedSSLParameters().getCipherSuites());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no default TLS context", e);
        }
    }
}
