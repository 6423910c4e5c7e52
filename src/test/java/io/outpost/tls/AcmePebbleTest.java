package io.outpost.tls;

import io.outpost.testing.Ports;
import io.outpost.testing.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.outpost.runtime.Gateway;
import io.outpost.testing.Backend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ACME against a real CA (pebble): obtained at start, stored 0600, served without restart, renewed by the clock. */
class AcmePebbleTest {

    private static final String DOMAIN = "shop.outpost.test";

    @TempDir
    Path dir;

    private Pebble pebble;
    private Backend backend;
    private Gateway gateway;
    private int web;
    private int websecure;
    private final MutableClock clock = new MutableClock(Instant.now());

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        if (backend != null) {
            backend.close();
        }
        if (pebble != null) {
            pebble.close();
        }
    }

    private void start(boolean alwaysValid) throws Exception {
        start(alwaysValid, null);
    }

    private void start(boolean alwaysValid, Duration validity) throws Exception {
        web = Ports.free();
        websecure = Ports.free();
        pebble = validity == null ? Pebble.start(dir, web, alwaysValid) : Pebble.start(dir, web, alwaysValid, validity);
        backend = Backend.start("shop");
        Path file = dir.resolve("outpost.yaml");
        Files.writeString(file, """
                entryPoints:
                  web: { address: "127.0.0.1:%d" }
                  websecure: { address: "127.0.0.1:%d", tls: {} }
                admin: { address: "127.0.0.1:%d" }
                accessLog: { enabled: false }
                certificatesResolvers:
                  pebble:
                    acme:
                      email: ops@outpost.example
                      storage: "%s"
                      caServer: "%s"
                      caCertificates: [ "%s" ]
                      httpChallenge: { entryPoint: web }
                http:
                  routers:
                    shop:
                      rule: "Host(`%s`)"
                      service: shop
                      tls: { certResolver: pebble }
                  services:
                    shop:
                      loadBalancer: { endpoints: [ { url: "%s" } ] }
                """.formatted(web, websecure, Ports.free(), storage(), pebble.directory(),
                pebble.listenerCa(), DOMAIN, backend.url()));
        gateway = Gateway.start(file, new Gateway.Options(1, clock, new io.outpost.runtime.ServiceFactory()));
    }

    private Path storage() {
        return dir.resolve("acme").resolve("acme.json");
    }

    private X509Certificate served() throws Exception {
        return TlsProbe.get(insecure(), websecure, DOMAIN, null, null).peer();
    }

    private X509Certificate awaitServed() throws Exception {
        return await("a certificate for " + DOMAIN).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptions().until(this::served, AcmePebbleTest::forDomain);
    }

    @Test
    void obtainsStoresServesAndRenewsACertificateWithoutARestart() throws Exception {
        start(true);

        X509Certificate first = awaitServed();
        assertThat(first.getIssuerX500Principal().getName()).contains("Pebble");
        assertThat(Files.getPosixFilePermissions(storage())).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.readString(storage())).contains(DOMAIN).contains("PRIVATE KEY");
        assertThat(TlsProbe.get(insecure(), websecure, DOMAIN, null, "/cart").response())
                .startsWith("HTTP/1.1 200").contains("shop GET /cart");

        Instant notAfter = first.getNotAfter().toInstant();
        clock.set(notAfter.minus(Duration.ofDays(31)));
        gateway.tls().acme().checkNow().get(60, TimeUnit.SECONDS);
        assertThat(served().getSerialNumber()).isEqualTo(first.getSerialNumber());

        clock.set(notAfter.minus(Duration.ofDays(29)));
        gateway.tls().acme().checkNow().get(60, TimeUnit.SECONDS);
        X509Certificate renewed = served();
        assertThat(renewed.getSerialNumber()).isNotEqualTo(first.getSerialNumber());
        assertThat(renewed.getSubjectAlternativeNames().toString()).contains(DOMAIN);
        assertThat(Files.getPosixFilePermissions(storage())).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }

    @Test
    void theGatewayAnswersTheRealHttp01Challenge() throws Exception {
        start(false);

        X509Certificate cert = awaitServed();

        assertThat(cert.getIssuerX500Principal().getName()).contains("Pebble");
        assertThat(backend.hits()).as("the challenge is answered before routing").isZero();
    }

    @Test
    void aStoredCertificateIsServedAfterARestartWithoutAskingTheCaAgain() throws Exception {
        start(true);
        X509Certificate first = awaitServed();
        gateway.close();
        pebble.close();

        Path file = dir.resolve("outpost.yaml");
        gateway = Gateway.start(file, new Gateway.Options(1, clock, new io.outpost.runtime.ServiceFactory()));
        gateway.tls().acme().checkNow().get(30, TimeUnit.SECONDS);
        gateway.tls().certificates(gateway.runtime().config()).get(30, TimeUnit.SECONDS);

        assertThat(served().getSerialNumber()).isEqualTo(first.getSerialNumber());
    }

    @Test
    void aShortLivedCertificateIsRenewedOnceTwoThirdsOfItsLifeHavePassedNotAtEveryCheck() throws Exception {
        start(true, Duration.ofDays(6));
        X509Certificate first = awaitServed();
        Instant notBefore = first.getNotBefore().toInstant();
        Instant notAfter = first.getNotAfter().toInstant();
        assertThat(Duration.between(notBefore, notAfter)).isLessThan(Duration.ofDays(7));

        clock.set(notBefore.plus(Duration.ofDays(1)));
        gateway.tls().acme().checkNow().get(60, TimeUnit.SECONDS);
        gateway.tls().acme().checkNow().get(60, TimeUnit.SECONDS);
        assertThat(served().getSerialNumber()).as("a day into a 6-day certificate").isEqualTo(first.getSerialNumber());

        clock.set(notAfter.minus(Duration.ofDays(1)));
        gateway.tls().acme().checkNow().get(60, TimeUnit.SECONDS);
        assertThat(served().getSerialNumber()).as("a day before it expires").isNotEqualTo(first.getSerialNumber());
    }

    private static boolean forDomain(X509Certificate cert) {
        try {
            return CertifiedKey.namesOf(cert).contains(DOMAIN);
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static SSLContext insecure() throws Exception {
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, InsecureTrustManagerFactory.INSTANCE.getTrustManagers(), null);
        return ssl;
    }
}
