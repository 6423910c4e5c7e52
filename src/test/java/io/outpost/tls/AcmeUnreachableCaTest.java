package io.outpost.tls;

import io.outpost.testing.Ports;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.outpost.runtime.Gateway;
import io.outpost.testing.Backend;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A CA that does not answer must not keep the certificates already in the storage file from being served. */
class AcmeUnreachableCaTest {

    @TempDir
    Path dir;

    private Backend backend;
    private Gateway gateway;
    /** Accepts connections (the kernel's backlog does) and never answers: a CA behind a dead link. */
    private ServerSocket silentCa;

    @AfterEach
    void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        if (backend != null) {
            backend.close();
        }
        if (silentCa != null) {
            silentCa.close();
        }
    }

    @Test
    void storedCertificatesAreServedAtStartWhileAnOrderForAnotherRouterWaitsForTheCa() throws Exception {
        silentCa = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        TestPki.Issued ca = TestPki.ca(dir, "ca");
        TestPki.Issued stored = TestPki.leaf(dir, "stored", ca, Duration.ofDays(80), "stored.outpost.test");
        Path storage = dir.resolve("acme.json");
        new AcmeStorage(storage).certificate(List.of("stored.outpost.test"), List.of(stored.cert()),
                stored.keys().getPrivate());

        int web = Ports.free();
        int websecure = Ports.free();
        backend = Backend.start("shop");
        Path file = dir.resolve("outpost.yaml");
        Files.writeString(file, """
                entryPoints:
                  web: { address: "127.0.0.1:%d" }
                  websecure: { address: "127.0.0.1:%d", tls: {} }
                admin: { address: "127.0.0.1:%d" }
                accessLog: { enabled: false }
                certificatesResolvers:
                  le:
                    acme:
                      storage: "%s"
                      caServer: "http://127.0.0.1:%d/dir"
                      httpChallenge: { entryPoint: web }
                http:
                  routers:
                    fresh:
                      rule: "Host(`fresh.outpost.test`)"
                      service: shop
                      tls: { certResolver: le }
                    stored:
                      rule: "Host(`stored.outpost.test`)"
                      service: shop
                      tls: { certResolver: le }
                  services:
                    shop:
                      loadBalancer: { endpoints: [ { url: "%s" } ] }
                """.formatted(web, websecure, Ports.free(), storage, silentCa.getLocalPort(),
                backend.url()));
        gateway = Gateway.start(file, Gateway.Options.defaults().workers(1));

        X509Certificate served = await("the stored certificate").atMost(Duration.ofSeconds(5))
                .pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                .until(() -> TlsProbe.get(insecure(), websecure, "stored.outpost.test", null, null).peer(),
                        cert -> cert != null);
        assertThat(served).isEqualTo(stored.cert());
    }

    private static SSLContext insecure() throws Exception {
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, InsecureTrustManagerFactory.INSTANCE.getTrustManagers(), null);
        return ssl;
    }
}
