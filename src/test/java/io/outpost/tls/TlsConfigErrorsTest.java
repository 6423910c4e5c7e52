package io.outpost.tls;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.outpost.config.ConfigError;
import io.outpost.config.ConfigJson;
import io.outpost.config.ConfigLoader;
import io.outpost.config.ConfigResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every TLS key reports what is wrong at its own key path. */
class TlsConfigErrorsTest {

    @TempDir
    Path dir;

    private TestPki.Issued cert;

    @BeforeEach
    void pki() throws Exception {
        cert = TestPki.leaf(dir, "site", TestPki.ca(dir, "ca"), "site.test");
    }

    private ConfigResult load(String yaml) {
        return new ConfigLoader().parse(yaml, "test.yaml");
    }

    private List<ConfigError> errors(String yaml) {
        return load(yaml).errors();
    }

    private String base(String entryTls, String extra) {
        return """
                entryPoints:
                  web: { address: "127.0.0.1:8080" }
                  websecure: { address: "127.0.0.1:8443", tls: %s }
                %s
                http:
                  routers:
                    shop: { rule: "Host(`shop.test`)", service: app }
                  services:
                    app: { loadBalancer: { endpoints: [ { url: "https://127.0.0.1:9443" } ] } }
                """.formatted(entryTls, extra);
    }

    @Test
    void aValidTlsConfigurationLoads() {
        ConfigResult result = load(base("{ certificates: [ { certFile: \"" + cert.certFile() + "\", keyFile: \""
                + cert.keyFile() + "\" } ], minVersion: TLSv1.3, cipherSuites: [ TLS_AES_128_GCM_SHA256 ] }", ""));
        assertThat(result.errors()).isEmpty();
        assertThat(result.orElseThrow().entryPoints().get("websecure").tls()).isPresent();
    }

    @Test
    void entryPointKeys() {
        assertThat(errors(base("{ certificates: [ { certFile: \"/nope.crt\", keyFile: \"" + cert.keyFile() + "\" } ] }", "")))
                .containsExactly(new ConfigError("entryPoints.websecure.tls.certificates[0].certFile",
                        "/nope.crt: no such readable file"));
        assertThat(errors(base("{ certificates: [ { certFile: \"" + cert.certFile() + "\" } ] }", "")))
                .containsExactly(new ConfigError("entryPoints.websecure.tls.certificates[0]", "missing required key 'keyFile'"));
        assertThat(errors(base("{ minVersion: TLSv1.1 }", "")))
                .containsExactly(new ConfigError("entryPoints.websecure.tls.minVersion",
                        "'TLSv1.1' (expected one of TLSv1.2, TLSv1.3)"));
        assertThat(errors(base("{ cipherSuites: [ TLS_AES_128_GCM_SHA256, TLS_NOPE ] }", "")))
                .singleElement().satisfies(e -> {
                    assertThat(e.path()).isEqualTo("entryPoints.websecure.tls.cipherSuites[1]");
                    assertThat(e.message()).startsWith("unknown cipher suite 'TLS_NOPE'");
                });
        assertThat(errors(base("{ clientAuth: { mode: always } }", "")))
                .extracting(ConfigError::path).containsExactlyInAnyOrder("entryPoints.websecure.tls.clientAuth.mode",
                        "entryPoints.websecure.tls.clientAuth.caFiles");
        assertThat(errors(base("{ clientAuth: { mode: require } }", "")))
                .singleElement().satisfies(e -> assertThat(e.path()).isEqualTo("entryPoints.websecure.tls.clientAuth.caFiles"));
        assertThat(errors(base("{ sni: true }", ""))).singleElement()
                .satisfies(e -> assertThat(e.path()).isEqualTo("entryPoints.websecure.tls"));
    }

    @Test
    void aKeyThatDoesNotBelongToItsCertificateIsAnErrorAtKeyFile() throws Exception {
        TestPki.Issued other = TestPki.leaf(dir, "other", TestPki.ca(dir, "ca2"), "other.test");
        assertThat(errors(base("{ certificates: [ { certFile: \"" + cert.certFile() + "\", keyFile: \""
                + other.keyFile() + "\" } ] }", ""))).extracting(ConfigError::toString).containsExactly(
                "entryPoints.websecure.tls.certificates[0].keyFile: does not belong to the certificate in certFile ("
                        + cert.certFile() + ", CN=site.test)");
    }

    @Test
    void filesThatAreNotPemAreErrorsAtTheirKeys() throws Exception {
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a certificate\n");
        Path broken = Files.writeString(dir.resolve("broken.pem"),
                "-----BEGIN CERTIFICATE-----\n%%%% not base64 %%%%\n-----END CERTIFICATE-----\n");
        Path binary = Files.write(dir.resolve("binary.der"), new byte[] {0x30, (byte) 0x82, (byte) 0xff, 0x01});
        List<ConfigError> errors = errors(base("{ certificates: [ "
                + "{ certFile: \"" + garbage + "\", keyFile: \"" + cert.keyFile() + "\" }, "
                + "{ certFile: \"" + cert.certFile() + "\", keyFile: \"" + cert.certFile() + "\" }, "
                + "{ certFile: \"" + broken + "\", keyFile: \"" + cert.keyFile() + "\" }, "
                + "{ certFile: \"" + binary + "\", keyFile: \"" + cert.keyFile() + "\" } ] }", ""));
        assertThat(errors).extracting(ConfigError::path).containsExactly(
                "entryPoints.websecure.tls.certificates[0].certFile",
                "entryPoints.websecure.tls.certificates[1].keyFile",
                "entryPoints.websecure.tls.certificates[2].certFile",
                "entryPoints.websecure.tls.certificates[3].certFile");
        assertThat(errors.get(0).message()).isEqualTo(garbage + ": no PEM certificate found");
        assertThat(errors.get(1).message()).isEqualTo(cert.certFile() + ": no unencrypted PEM private key found");
        assertThat(errors.get(2).message()).isEqualTo(broken + ": not readable as PEM: unable to decode base64 string: "
                + "invalid characters encountered in base64 data");
        assertThat(errors.get(3).message()).isEqualTo(binary + ": not a PEM file (expected text with -----BEGIN lines)");
    }

    @Test
    void anUpstreamClientCertificateIsCheckedToo() throws Exception {
        TestPki.Issued other = TestPki.leaf(dir, "other", TestPki.ca(dir, "ca2"), "other.test");
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a certificate\n");
        String yaml = """
                entryPoints: { web: { address: "127.0.0.1:8080" } }
                http:
                  services:
                    app:
                      loadBalancer:
                        endpoints: [ { url: "https://127.0.0.1:9443" } ]
                        tls: { certFile: "%s", keyFile: "%s", caFiles: [ "%s" ] }
                """.formatted(cert.certFile(), other.keyFile(), garbage);
        assertThat(errors(yaml)).extracting(ConfigError::toString).containsExactlyInAnyOrder(
                "http.services.app.loadBalancer.tls.caFiles[0]: " + garbage + ": no PEM certificate found",
                "http.services.app.loadBalancer.tls.keyFile: does not belong to the certificate in certFile ("
                        + cert.certFile() + ", CN=site.test)");
    }

    @Test
    void routerKeys() {
        String yaml = """
                entryPoints: { web: { address: "127.0.0.1:8080" } }
                http:
                  routers:
                    shop: { rule: "Host(`shop.test`)", service: app, tls: { certResolver: nope, domains: [ "bad domain" ] } }
                    plain: { rule: "Host(`a.test`)", service: app, tls: { domains: [ a.test ] } }
                  services:
                    app: { loadBalancer: { endpoints: [ { url: "http://127.0.0.1:9000" } ] } }
                """;
        assertThat(errors(yaml)).extracting(ConfigError::toString).containsExactlyInAnyOrder(
                "http.routers.shop.tls.domains[0]: \"bad domain\" is not a domain name (expected for example shop.example.com)",
                "http.routers.shop.tls.certResolver: unknown certificate resolver 'nope'",
                "http.routers.plain.tls.domains: has no effect without certResolver (expected: certResolver names the "
                        + "resolver that obtains a certificate for these domains)");
    }

    @Test
    void upstreamKeysAndTheSkipVerifyWarning() {
        String yaml = """
                entryPoints: { web: { address: "127.0.0.1:8080" } }
                http:
                  services:
                    app:
                      loadBalancer:
                        endpoints: [ { url: "https://127.0.0.1:9443" } ]
                        tls: { caFiles: [ "/missing-ca.pem" ], certFile: "%s", serverName: "not a name" }
                    skip:
                      loadBalancer:
                        endpoints: [ { url: "https://127.0.0.1:9444" } ]
                        tls: { insecureSkipVerify: true }
                """.formatted(cert.certFile());
        ConfigResult result = load(yaml);
        assertThat(result.errors()).extracting(ConfigError::path).containsExactlyInAnyOrder(
                "http.services.app.loadBalancer.tls.caFiles[0]",
                "http.services.app.loadBalancer.tls.keyFile",
                "http.services.app.loadBalancer.tls.serverName");
        assertThat(result.warnings()).extracting(ConfigError::path)
                .contains("http.services.skip.loadBalancer.tls.insecureSkipVerify");
    }

    @Test
    void replicatedServicesTakeTheSameUpstreamTlsKeys() {
        String yaml = """
                entryPoints: { web: { address: "127.0.0.1:8080" } }
                http:
                  services:
                    pos:
                      replicated:
                        sessionKey: "header:X-Till"
                        replicas: { cloud: { endpoints: [ "https://cloud.internal:9443" ] } }
                        tls: { caFiles: [ "/missing-ca.pem" ], serverName: "not a name" }
                    plain:
                      replicated:
                        sessionKey: "header:X-Till"
                        replicas: { edge: { endpoints: [ "http://127.0.0.1:9000" ] } }
                        tls: { serverName: edge.internal }
                """;
        ConfigResult result = load(yaml);
        assertThat(result.errors()).extracting(ConfigError::path).containsExactlyInAnyOrder(
                "http.services.pos.replicated.tls.caFiles[0]",
                "http.services.pos.replicated.tls.serverName");
        assertThat(result.warnings()).extracting(ConfigError::toString)
                .contains("http.services.plain.replicated.tls: ignored: no https:// URL here to apply it to");
    }

    @Test
    void forwardAuthTakesTheSameUpstreamTlsKeys() {
        String yaml = """
                entryPoints: { web: { address: "127.0.0.1:8080" } }
                http:
                  middlewares:
                    sso:
                      forwardAuth: { address: "https://auth.internal/check", tls: { caFiles: [ "/missing-ca.pem" ] } }
                    plain:
                      forwardAuth: { address: "http://127.0.0.1:9000/check", tls: { serverName: auth.internal } }
                """;
        ConfigResult result = load(yaml);
        assertThat(result.errors()).extracting(ConfigError::path)
                .containsExactly("http.middlewares.sso.forwardAuth.tls.caFiles[0]");
        assertThat(result.warnings()).extracting(ConfigError::toString)
                .contains("http.middlewares.plain.forwardAuth.tls: ignored: no https:// URL here to apply it to");
    }

    @Test
    void jwtTakesTheSameUpstreamTlsKeysForItsJwksUrl() {
        String yaml = """
                entryPoints: { web: { address: "127.0.0.1:8080" } }
                http:
                  middlewares:
                    idp:
                      jwt: { jwksUrl: "https://idp.internal/certs", tls: { certFile: "/missing-cert.pem", serverName: "bad name" } }
                    plain:
                      jwt: { jwksUrl: "http://127.0.0.1:9000/certs", tls: { serverName: idp.internal } }
                """;
        ConfigResult result = load(yaml);
        assertThat(result.errors()).extracting(ConfigError::path).containsExactlyInAnyOrder(
                "http.middlewares.idp.jwt.tls.certFile", "http.middlewares.idp.jwt.tls.keyFile",
                "http.middlewares.idp.jwt.tls.serverName");
        assertThat(result.warnings()).extracting(ConfigError::toString)
                .contains("http.middlewares.plain.jwt.tls: ignored: no https:// URL here to apply it to");
    }

    @Test
    void anAcmeDirectoryUrlWithCredentialsOrAPortOutOfRange() {
        String yaml = """
                entryPoints: { web: { address: "127.0.0.1:8080" } }
                certificatesResolvers:
                  a: { acme: { storage: "%s", caServer: "https://acct:s3cr3t@ca.internal/dir", httpChallenge: { entryPoint: web } } }
                  b: { acme: { storage: "%s", caServer: "https://ca.internal:70000/dir", httpChallenge: { entryPoint: web } } }
                """.formatted(dir.resolve("a.json"), dir.resolve("b.json"));
        assertThat(errors(yaml)).extracting(ConfigError::toString).containsExactly(
                "certificatesResolvers.a.acme.caServer: \"https://***@ca.internal/dir\" holds a user name or password, "
                        + "which the gateway does not send (expected: scheme://host[:port]/path)",
                "certificatesResolvers.b.acme.caServer: \"https://ca.internal:70000/dir\" has a port out of range "
                        + "(expected: 1-65535)");
    }

    @Test
    void resolverKeys() {
        String yaml = """
                entryPoints: { web: { address: "127.0.0.1:8080" } }
                certificatesResolvers:
                  le:
                    acme: { email: "not-an-email", caServer: "ftp://x", tlsChallenge: {}, httpChallenge: { entryPoint: webz } }
                  other: { vault: {} }
                """;
        assertThat(errors(yaml)).extracting(ConfigError::toString).containsExactlyInAnyOrder(
                "certificatesResolvers.le.acme.email: \"not-an-email\" is not an e-mail address",
                "certificatesResolvers.le.acme: missing required key 'storage'",
                "certificatesResolvers.le.acme.caServer: \"ftp://x\" is not an http(s) URL (expected: the ACME directory URL)",
                "certificatesResolvers.le.acme.tlsChallenge: is not supported yet (expected: httpChallenge)",
                "certificatesResolvers.other: unknown key 'vault' (expected one of acme)",
                "certificatesResolvers.other: missing required key 'acme' (the only kind of resolver so far)");
        String noChallenge = """
                entryPoints: { web: { address: "127.0.0.1:8080" } }
                certificatesResolvers:
                  le: { acme: { storage: "%s", httpChallenge: { entryPoint: webz } } }
                """.formatted(dir.resolve("acme.json"));
        assertThat(errors(noChallenge)).extracting(ConfigError::toString).containsExactly(
                "certificatesResolvers.le.acme.httpChallenge.entryPoint: unknown entry point 'webz'");
        String storageIsDir = """
                entryPoints: { web: { address: "127.0.0.1:8080" } }
                certificatesResolvers:
                  le: { acme: { storage: "%s" } }
                """.formatted(dir);
        assertThat(errors(storageIsDir)).extracting(ConfigError::path).containsExactlyInAnyOrder(
                "certificatesResolvers.le.acme.storage", "certificatesResolvers.le.acme.httpChallenge");
    }

    @Test
    void anAdminServerOffLoopbackNeedsAuth() {
        assertThat(errors("entryPoints: { web: { address: \"127.0.0.1:8080\" } }\nadmin: { address: \"0.0.0.0:9090\" }\n"))
                .extracting(ConfigError::path).containsExactly("admin.auth");
        assertThat(errors("entryPoints: { web: { address: \"127.0.0.1:8080\" } }\nadmin: { address: \":9090\" }\n"))
                .extracting(ConfigError::path).containsExactly("admin.auth");
        assertThat(errors("entryPoints: { web: { address: \"127.0.0.1:8080\" } }\nadmin: { address: \"0.0.0.0:9090\", "
                + "auth: { token: t0k3n-value } }\n")).isEmpty();
        assertThat(errors("entryPoints: { web: { address: \"127.0.0.1:8080\" } }\nadmin: { address: \"127.0.0.1:9090\" }\n"))
                .isEmpty();
    }

    @Test
    void renderedConfigurationShowsPathsButNoSecret() {
        String yaml = base("{ certificates: [ { certFile: \"" + cert.certFile() + "\", keyFile: \"" + cert.keyFile()
                + "\" } ] }", "admin: { address: \"0.0.0.0:9090\", auth: { token: sup3r-s3cret } }");
        JsonNode rendered = ConfigJson.render(load(yaml).orElseThrow());
        String text = rendered.toString();
        assertThat(text).contains(cert.keyFile().toString()).doesNotContain("sup3r-s3cret").doesNotContain("PRIVATE KEY");
        assertThat(rendered.at("/entryPoints/websecure/tls/minVersion").asText()).isEqualTo("TLSv1.2");
    }
}
