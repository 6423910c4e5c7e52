package io.outpost.tls;

import io.outpost.testing.Ports;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.outpost.config.TlsConfig;
import io.outpost.proxy.NettyHealthProbe;
import io.outpost.runtime.Gateway;
import io.outpost.testing.Backend;
import io.outpost.upstream.Endpoint;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** https:// endpoints: a private CA, SNI and name verification, and a client certificate (mTLS). */
class UpstreamTlsTest {

    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private Gateway gateway;
    private TlsBackend backend;
    private int port;

    @AfterEach
    void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private void start(String tls) throws Exception {
        start(tls, "service: app", "");
    }

    /**
     * Service {@code app} reaches the backend with {@code tls}; {@code route} ends the router's entry,
     * and {@code more} follows the services (more services, or another section of {@code http}).
     */
    private void start(String tls, String route, String more) throws Exception {
        port = Ports.free();
        Path file = dir.resolve("outpost.yaml");
        Files.writeString(file, """
                entryPoints:
                  web: { address: "127.0.0.1:%d" }
                admin: { address: "127.0.0.1:%d" }
                accessLog: { enabled: false }
                http:
                  routers:
                    app: { rule: "PathPrefix(`/`)", %s }
                  services:
                    app:
                      loadBalancer:
                        endpoints: [ { url: "https://127.0.0.1:%d" } ]
                        tls: %s
                """.formatted(port, Ports.free(), route, backend.port(), tls) + more);
        gateway = Gateway.start(file, Gateway.Options.defaults().workers(1));
    }

    private HttpResponse<String> get() throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/x")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void trustsTheConfiguredCaSendsServerNameAsSniAndVerifiesIt() throws Exception {
        TestPki.Issued ca = TestPki.ca(dir, "upstream-ca");
        TestPki.Issued cert = TestPki.leaf(dir, "backend", ca, "backend.internal");
        backend = new TlsBackend(TlsBackend.serverContext(cert, List.of()), false);
        start("{ caFiles: [ \"" + ca.certFile() + "\" ], serverName: backend.internal }");

        HttpResponse<String> response = get();

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("sni=backend.internal client=-\n");
    }

    @Test
    void aCertificateForAnotherNameIsRefused() throws Exception {
        TestPki.Issued ca = TestPki.ca(dir, "upstream-ca");
        TestPki.Issued cert = TestPki.leaf(dir, "backend", ca, "backend.internal");
        backend = new TlsBackend(TlsBackend.serverContext(cert, List.of()), false);
        start("{ caFiles: [ \"" + ca.certFile() + "\" ], serverName: other.internal }");

        assertThat(get().statusCode()).isEqualTo(502);
    }

    @Test
    void anUnknownCaIsRefusedUnlessVerificationIsSkipped() throws Exception {
        TestPki.Issued ca = TestPki.ca(dir, "upstream-ca");
        TestPki.Issued otherCa = TestPki.ca(dir, "other-ca");
        TestPki.Issued cert = TestPki.leaf(dir, "backend", ca, "backend.internal");
        backend = new TlsBackend(TlsBackend.serverContext(cert, List.of()), false);
        start("{ caFiles: [ \"" + otherCa.certFile() + "\" ], serverName: backend.internal }");
        assertThat(get().statusCode()).isEqualTo(502);
        gateway.close();

        start("{ insecureSkipVerify: true }");
        HttpResponse<String> response = get();
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).startsWith("sni=-"); // an IP address is never sent as SNI
    }

    @Test
    void presentsTheClientCertificateToAnUpstreamThatRequiresOne() throws Exception {
        TestPki.Issued ca = TestPki.ca(dir, "upstream-ca");
        TestPki.Issued clientCa = TestPki.ca(dir, "gateway-ca");
        TestPki.Issued cert = TestPki.leaf(dir, "backend", ca, "backend.internal");
        TestPki.Issued gatewayCert = TestPki.leaf(dir, "gateway", clientCa, "gateway.outpost");
        backend = new TlsBackend(TestPki.context(List.of(clientCa.cert()), cert), true);
        start("{ caFiles: [ \"" + ca.certFile() + "\" ], serverName: backend.internal }");
        assertThat(get().statusCode()).isEqualTo(502);
        gateway.close();

        start("{ caFiles: [ \"" + ca.certFile() + "\" ], serverName: backend.internal, certFile: \""
                + gatewayCert.certFile() + "\", keyFile: \"" + gatewayCert.keyFile() + "\" }");
        HttpResponse<String> response = get();

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("sni=backend.internal client=CN=gateway.outpost\n");
    }

    @Test
    void activeHealthChecksUseTheServiceTls() throws Exception {
        TestPki.Issued ca = TestPki.ca(dir, "upstream-ca");
        TestPki.Issued cert = TestPki.leaf(dir, "backend", ca, "backend.internal");
        backend = new TlsBackend(TlsBackend.serverContext(cert, List.of()), false);
        start("{ caFiles: [ \"" + ca.certFile() + "\" ], serverName: backend.internal }\n"
                + "        healthCheck: { path: /healthz, interval: 1s, timeout: 1s, unhealthyThreshold: 1 }");

        await().atMost(Duration.ofSeconds(10))
                .until(() -> backend.requests.stream().filter(r -> r.startsWith("GET /healthz ")).count() >= 2);
        // With the JDK's trust store instead, the first check fails its handshake and the only endpoint goes down.
        assertThat(gateway.runtime().services().get("app").describe().toString())
                .contains("state=healthy").doesNotContain("lastError");
        assertThat(get().statusCode()).isEqualTo(200);
    }

    @Test
    void probeVerifiesAgainstTheConfiguredCaAndRefusesAnUnknownOne() throws Exception {
        TestPki.Issued ca = TestPki.ca(dir, "upstream-ca");
        TestPki.Issued cert = TestPki.leaf(dir, "backend", ca, "backend.internal");
        backend = new TlsBackend(TlsBackend.serverContext(cert, List.of()), false);
        Endpoint endpoint = Endpoint.of("https://127.0.0.1:" + backend.port());
        UpstreamTls trusting = UpstreamTls.of(new TlsConfig.Upstream(List.of(ca.certFile()), Optional.empty(),
                Optional.of("backend.internal"), false));

        assertThat(new NettyHealthProbe(trusting).get(endpoint, "/h", Duration.ofSeconds(5)).get()).isEqualTo(200);
        assertThat(backend.requests).containsExactly("GET /h HTTP/1.1");
        assertThatThrownBy(() -> new NettyHealthProbe(null).get(endpoint, "/h", Duration.ofSeconds(5)).get())
                .hasCauseInstanceOf(javax.net.ssl.SSLHandshakeException.class);
    }

    @Test
    void mirrorCopiesUseTheMirrorServiceTls() throws Exception {
        TestPki.Issued ca = TestPki.ca(dir, "upstream-ca");
        TestPki.Issued cert = TestPki.leaf(dir, "backend", ca, "backend.internal");
        backend = new TlsBackend(TlsBackend.serverContext(cert, List.of()), false);
        // The main service is plain http; only the mirror's copies need the private CA.
        try (Backend main = Backend.start("main")) {
            start("{ caFiles: [ \"" + ca.certFile() + "\" ], serverName: backend.internal }", "service: mirrored", """
                        main:
                          loadBalancer: { endpoints: [ { url: "%s" } ] }
                        mirrored:
                          mirroring: { service: main, mirrors: [ { name: app, percent: 100 } ] }
                    """.formatted(main.url()));

            assertThat(get().statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(5)).until(() -> backend.requests.contains("GET /x HTTP/1.1"));
        }
    }

    @Test
    void forwardAuthReachesAnHttpsAuthServerThroughItsTls() throws Exception {
        TestPki.Issued ca = TestPki.ca(dir, "upstream-ca");
        TestPki.Issued cert = TestPki.leaf(dir, "backend", ca, "backend.internal");
        backend = new TlsBackend(TlsBackend.serverContext(cert, List.of()), false);
        String tls = "{ caFiles: [ \"" + ca.certFile() + "\" ], serverName: backend.internal }";
        start(tls, "service: app, middlewares: [ fa ]", """
                  middlewares:
                    fa:
                      forwardAuth: { address: "https://127.0.0.1:%d/auth?from=gateway", tls: %s }
                """.formatted(backend.port(), tls));

        assertThat(get().statusCode()).isEqualTo(200);
        assertThat(backend.requests).containsExactly("GET /auth?from=gateway HTTP/1.1", "GET /x HTTP/1.1");
    }
}
