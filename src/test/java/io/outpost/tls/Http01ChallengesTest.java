package io.outpost.tls;

import io.outpost.testing.Ports;
import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.runtime.Gateway;
import io.outpost.testing.Backend;
import io.outpost.testing.RawHttp;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An HTTP-01 answer is given only for the domain its token was issued for, on the challenge entry point. */
class Http01ChallengesTest {

    private static final String PATH = "/.well-known/acme-challenge/tok3n";

    @TempDir
    Path dir;

    private Backend backend;
    private Gateway gateway;
    private int web;
    private int other;

    @BeforeEach
    void start() throws Exception {
        backend = Backend.start("app");
        web = Ports.free();
        other = Ports.free();
        Path file = Files.writeString(dir.resolve("outpost.yaml"), """
                entryPoints:
                  web: { address: "127.0.0.1:%d" }
                  other: { address: "127.0.0.1:%d" }
                admin: { address: "127.0.0.1:%d" }
                accessLog: { enabled: false }
                http:
                  routers:
                    app: { rule: "PathPrefix(`/`)", service: app }
                  services:
                    app: { loadBalancer: { endpoints: [ { url: "%s" } ] } }
                """.formatted(web, other, Ports.free(), backend.url()));
        gateway = Gateway.start(file, Gateway.Options.defaults().workers(1));
        gateway.tls().challenges().add("web", "Shop.Example.com", "tok3n", "tok3n.key-authorization");
    }

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private static RawHttp.Response get(int port, String host, String path) throws Exception {
        try (RawHttp raw = new RawHttp(port)) {
            return raw.send("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").read();
        }
    }

    @Test
    void theTokensDomainGetsTheAnswerWhateverItsCaseAndPort() throws Exception {
        for (String host : new String[] {"shop.example.com", "SHOP.example.COM", "shop.example.com:" + web}) {
            RawHttp.Response answer = get(web, host, PATH);
            assertThat(answer.status()).as(host).isEqualTo(200);
            assertThat(answer.body()).as(host).isEqualTo("tok3n.key-authorization");
        }
        assertThat(backend.hits()).isZero();
    }

    @Test
    void anotherHostRoutesAsUsual() throws Exception {
        RawHttp.Response routed = get(web, "evil.example.net", PATH);

        assertThat(routed.status()).isEqualTo(200);
        assertThat(routed.body()).startsWith("app GET " + PATH).doesNotContain("key-authorization");
        assertThat(get(web, "www.shop.example.com", PATH).body()).doesNotContain("key-authorization");
        assertThat(backend.hits()).isEqualTo(2);
    }

    @Test
    void anotherEntryPointAndAnUnknownTokenRouteAsUsual() throws Exception {
        assertThat(get(other, "shop.example.com", PATH).body()).startsWith("app GET " + PATH);
        assertThat(get(web, "shop.example.com", "/.well-known/acme-challenge/other").body())
                .startsWith("app GET /.well-known/acme-challenge/other");
        assertThat(backend.hits()).isEqualTo(2);
    }

    @Test
    void aRemovedChallengeIsNoLongerAnswered() throws Exception {
        gateway.tls().challenges().remove("Shop.Example.com", "tok3n");

        assertThat(get(web, "shop.example.com", PATH).body()).startsWith("app GET " + PATH);
    }
}
