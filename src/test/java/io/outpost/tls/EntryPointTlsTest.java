package io.outpost.tls;

import io.outpost.testing.Ports;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.config.ConfigLoader;
import io.outpost.config.OutpostConfig;
import io.outpost.runtime.Gateway;
import io.outpost.testing.Backend;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS termination on a real entry point: SNI, reload, versions, client certificates, forwarded proto. */
class EntryPointTlsTest {

    @TempDir
    Path dir;

    private Backend backend;
    private Gateway gateway;
    private int port;

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private void start(String tls) throws Exception {
        start(tls, null);
    }

    /** {@code bodyLimit}: the router's {@code maxBodySize}, or null for none. */
    private void start(String tls, String bodyLimit) throws Exception {
        backend = Backend.start("app");
        port = Ports.free();
        Path file = dir.resolve("outpost.yaml");
        Files.writeString(file, """
                entryPoints:
                  websecure:
                    address: "127.0.0.1:%d"
                    tls: %s
                admin: { address: "127.0.0.1:%d" }
                accessLog: { enabled: false }
                http:
                  routers:
                    app: { rule: "PathPrefix(`/`)", service: app, middlewares: [ %s ] }
                  middlewares:
                    limit: { maxBodySize: { limit: %s } }
                  services:
                    app:
                      loadBalancer: { endpoints: [ { url: "%s" } ] }
                """.formatted(port, tls, Ports.free(), bodyLimit == null ? "" : "limit",
                        bodyLimit == null ? "1GB" : bodyLimit, backend.url()));
        gateway = Gateway.start(file, Gateway.Options.defaults().workers(1));
    }

    @Test
    void sniPicksTheCertificateByNameAndFallsBackToTheFirst() throws Exception {
        TestPki.Issued ca = TestPki.ca(dir, "ca");
        TestPki.Issued first = TestPki.leaf(dir, "default", ca, "default.test");
        TestPki.Issued shop = TestPki.leaf(dir, "shop", ca, "shop.test");
        TestPki.Issued wildcard = TestPki.leaf(dir, "wild", ca, "*.api.test");
        start("{ certificates: [ " + files(first) + ", " + files(shop) + ", " + files(wildcard) + " ] }");
        SSLContext client = TestPki.context(List.of(ca.cert()), null);

        assertThat(TlsProbe.get(client, port, "shop.test", null, null).peer()).isEqualTo(shop.cert());
        assertThat(TlsProbe.get(client, port, "SHOP.test", null, null).peer()).isEqualTo(shop.cert());
        assertThat(TlsProbe.get(client, port, "v1.api.test", null, null).peer()).isEqualTo(wildcard.cert());
        assertThat(TlsProbe.get(client, port, "a.v1.api.test", null, null).peer()).isEqualTo(first.cert());
        assertThat(TlsProbe.get(client, port, "unknown.test", null, null).peer()).isEqualTo(first.cert());
        assertThat(TlsProbe.get(client, port, null, null, null).peer()).isEqualTo(first.cert());
    }

    @Test
    void proxiesOverTlsWithHttp11AlpnAndForwardedProtoHttps() throws Exception {
        TestPki.Issued ca = TestPki.ca(dir, "ca");
        TestPki.Issued cert = TestPki.leaf(dir, "shop", ca, "shop.test");
        start("{ certificates: [ " + files(cert) + " ] }");

        TlsProbe.Result result = TlsProbe.get(TestPki.context(List.of(ca.cert()), null), port, "shop.test", null, "/hello");

        assertThat(result.alpn()).isEqualTo("http/1.1");
        assertThat(result.response()).startsWith("HTTP/1.1 200").contains("app GET /hello");
        Map<String, List<String>> headers = backend.requestHeaders().get(0);
        assertThat(headers.entrySet()).anySatisfy(e -> {
            assertThat(e.getKey()).isEqualToIgnoringCase("X-Forwarded-Proto");
            assertThat(e.getValue()).containsExactly("https");
        });
    }

    @Test
    void aClientStillWritingItsBodyOverTlsReadsTheWhole413() throws Exception {
        TestPki.Issued ca = TestPki.ca(dir, "ca");
        TestPki.Issued cert = TestPki.leaf(dir, "shop", ca, "shop.test");
        start("{ certificates: [ " + files(cert) + " ] }", "1KiB");
        long body = 8L << 20;
        SSLContext ssl = TestPki.context(List.of(ca.cert()), null);
        try (SSLSocket socket = (SSLSocket) ssl.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            SSLParameters params = socket.getSSLParameters();
            params.setServerNames(List.of(new SNIHostName("shop.test")));
            socket.setSSLParameters(params);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /upload HTTP/1.1\r\nHost: shop.test\r\nContent-Length: " + body + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            // The 413 goes out when the head arrives; the gateway reads and drops the rest of the body,
            // so that this write completes and the answer is still there to read.
            byte[] chunk = new byte[64 * 1024];
            for (long sent = 0; sent < body; sent += chunk.length) {
                out.write(chunk);
            }
            out.flush();
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(response).startsWith("HTTP/1.1 413").contains("larger than 1024 bytes");
        }
        assertThat(backend.hits()).isZero();
    }

    @Test
    void certificatesReloadWhenTheFilesChangeAndABrokenPairKeepsTheOldOne() throws Exception {
        TestPki.Issued ca = TestPki.ca(dir, "ca");
        TestPki.Issued old = TestPki.leaf(dir, "site", ca, "site.test");
        start("{ certificates: [ " + files(old) + " ] }");
        SSLContext client = TestPki.context(List.of(ca.cert()), null);
        assertThat(TlsProbe.get(client, port, "site.test", null, null).peer()).isEqualTo(old.cert());
        assertThat(gateway.tls().entryPoint("websecure").reloadIfChanged()).isFalse();

        // Only the certificate changes first: its key does not match it, so nothing is swapped.
        Path scratch = Files.createDirectory(dir.resolve("next"));
        TestPki.Issued next = TestPki.leaf(scratch, "site", ca, "site.test", "new.site.test");
        Files.copy(next.certFile(), old.certFile(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        bump(old.certFile());
        assertThat(gateway.tls().entryPoint("websecure").reloadIfChanged()).isFalse();
        assertThat(TlsProbe.get(client, port, "site.test", null, null).peer()).isEqualTo(old.cert());

        Files.copy(next.keyFile(), old.keyFile(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        bump(old.keyFile());
        assertThat(gateway.tls().entryPoint("websecure").reloadIfChanged()).isTrue();
        assertThat(TlsProbe.get(client, port, "new.site.test", null, null).peer()).isEqualTo(next.cert());
        assertThat(TlsProbe.get(client, port, "site.test", null, null).peer()).isEqualTo(next.cert());
    }

    @Test
    void minVersionTls13RefusesATls12Client() throws Exception {
        TestPki.Issued ca = TestPki.ca(dir, "ca");
        TestPki.Issued cert = TestPki.leaf(dir, "shop", ca, "shop.test");
        start("{ minVersion: TLSv1.3, certificates: [ " + files(cert) + " ] }");
        SSLContext client = TestPki.context(List.of(ca.cert()), null);

        assertThatThrownBy(() -> TlsProbe.get(client, port, "shop.test", List.of("TLSv1.2"), null))
                .isInstanceOf(SSLException.class);
        assertThat(TlsProbe.get(client, port, "shop.test", List.of("TLSv1.3", "TLSv1.2"), null).protocol())
                .isEqualTo("TLSv1.3");
    }

    @Test
    void defaultMinVersionAcceptsTls12() throws Exception {
        TestPki.Issued ca = TestPki.ca(dir, "ca");
        TestPki.Issued cert = TestPki.leaf(dir, "shop", ca, "shop.test");
        start("{ certificates: [ " + files(cert) + " ] }");

        TlsProbe.Result result = TlsProbe.get(TestPki.context(List.of(ca.cert()), null), port, "shop.test",
                List.of("TLSv1.2"), "/v12");

        assertThat(result.protocol()).isEqualTo("TLSv1.2");
        assertThat(result.response()).startsWith("HTTP/1.1 200");
    }

    @Test
    void requiredClientAuthRefusesClientsWithoutACertificateFromTheCa() throws Exception {
        TestPki.Issued ca = TestPki.ca(dir, "ca");
        TestPki.Issued clientCa = TestPki.ca(dir, "client-ca");
        TestPki.Issued otherCa = TestPki.ca(dir, "other-ca");
        TestPki.Issued cert = TestPki.leaf(dir, "shop", ca, "shop.test");
        TestPki.Issued pos = TestPki.leaf(dir, "pos", clientCa, "pos.client");
        TestPki.Issued stranger = TestPki.leaf(dir, "stranger", otherCa, "stranger.client");
        start("{ certificates: [ " + files(cert) + " ], clientAuth: { mode: require, caFiles: [ \""
                + clientCa.certFile() + "\" ] } }");

        TlsProbe.Result ok = TlsProbe.get(TestPki.context(List.of(ca.cert()), pos), port, "shop.test", null, "/pos");
        assertThat(ok.response()).startsWith("HTTP/1.1 200");
        // With TLS 1.3 the server's verdict on the client certificate arrives after the client's handshake ends.
        assertThatThrownBy(() -> TlsProbe.get(TestPki.context(List.of(ca.cert()), null), port, "shop.test", null, "/x"))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> TlsProbe.get(TestPki.context(List.of(ca.cert()), stranger), port, "shop.test", null, "/x"))
                .isInstanceOf(IOException.class);
        assertThat(backend.hits()).isEqualTo(1);
    }

    @Test
    void aKeyReplacedAfterValidationFailsStartUpNamingTheEntryPointAndFiles() throws Exception {
        TestPki.Issued ca = TestPki.ca(dir, "ca");
        TestPki.Issued site = TestPki.leaf(dir, "site", ca, "site.test");
        OutpostConfig config = new ConfigLoader().parse("""
                entryPoints:
                  websecure: { address: "127.0.0.1:%d", tls: { certificates: [ %s ] } }
                """.formatted(Ports.free(), files(site)), "test.yaml").orElseThrow();
        Path scratch = Files.createDirectory(dir.resolve("next"));
        Files.copy(TestPki.leaf(scratch, "site", ca, "site.test").keyFile(), site.keyFile(),
                StandardCopyOption.REPLACE_EXISTING);

        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        try (TlsRuntime tls = new TlsRuntime(scheduler, Clock.systemUTC(), TlsRuntime.DEFAULT_POLL)) {
            assertThatThrownBy(() -> tls.bind(config)).isInstanceOf(IOException.class)
                    .hasMessage("entry point websecure: " + site.certFile() + " / " + site.keyFile()
                            + ": the private key does not belong to the certificate CN=site.test");
        } finally {
            scheduler.shutdownNow();
        }
    }

    static String files(TestPki.Issued issued) {
        return "{ certFile: \"" + issued.certFile() + "\", keyFile: \"" + issued.keyFile() + "\" }";
    }

    /** Moves the modification time forward, as a later write would. */
    static void bump(Path file) throws IOException {
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(60)));
    }

}
