package io.outpost.runtime;

import io.outpost.testing.Ports;
import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.testing.Backend;
import io.outpost.testing.RawHttp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code entryPoints.<name>.forwardedHeaders} through a whole gateway: every test client is on
 * 127.0.0.1, so each entry point trusts it or not by its own configuration.
 */
class ForwardedHeadersTest {

    @TempDir
    Path dir;

    private Backend backend;
    private Gateway gateway;
    private int open;
    private int trusting;
    private int otherNetwork;
    private int insecure;

    @BeforeEach
    void start() throws Exception {
        backend = Backend.start("b");
        open = Ports.free();
        trusting = Ports.free();
        otherNetwork = Ports.free();
        insecure = Ports.free();
        Path file = dir.resolve("outpost.yaml");
        Files.writeString(file, """
                entryPoints:
                  open: { address: "127.0.0.1:%d" }
                  trusting:
                    address: "127.0.0.1:%d"
                    forwardedHeaders: { trustedIPs: ["10.0.0.0/8", "127.0.0.1/32"] }
                  otherNetwork:
                    address: "127.0.0.1:%d"
                    forwardedHeaders: { trustedIPs: ["10.0.0.0/8", "::1"] }
                  insecure:
                    address: "127.0.0.1:%d"
                    forwardedHeaders: { insecure: true }
                admin: { address: "127.0.0.1:%d" }
                accessLog: { enabled: false }
                http:
                  routers:
                    all: { rule: "PathPrefix(`/`)", service: b }
                  services:
                    b:
                      loadBalancer: { endpoints: [ { url: "%s" } ] }
                """.formatted(open, trusting, otherNetwork, insecure, Ports.free(), backend.url()));
        gateway = Gateway.start(file, Gateway.Options.defaults().workers(1));
    }

    @AfterEach
    void stop() {
        gateway.close();
        backend.close();
    }

    private static final String SPOOFED = "X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Host: admin.internal\r\n"
            + "X-Forwarded-Proto: https\r\nX-Forwarded-Port: 8443\r\nX-Forwarded-Prefix: /admin\r\n"
            + "X-Real-Ip: 203.0.113.7\r\n";

    /** The headers the upstream received for one request, sent on {@code port} with {@code extra} fields. */
    private Map<String, List<String>> upstreamSaw(int port, String extra) throws Exception {
        int before = backend.requestHeaders().size();
        try (RawHttp raw = new RawHttp(port)) {
            raw.send("GET /h HTTP/1.1\r\nHost: shop.test:" + port + "\r\n" + extra + "\r\n");
            assertThat(raw.read().status()).isEqualTo(200);
        }
        assertThat(backend.requestHeaders()).hasSize(before + 1);
        return backend.requestHeaders().get(before);
    }

    @Test
    void anUntrustedClientsForwardingHeadersAreReplacedByTheGatewaysOwn() throws Exception {
        for (int port : new int[] {open, otherNetwork}) {
            Map<String, List<String>> h = upstreamSaw(port, SPOOFED);
            assertThat(h.get("X-forwarded-for")).as("entry point on %d", port).containsExactly("127.0.0.1");
            assertThat(h.get("X-forwarded-host")).containsExactly("shop.test:" + port);
            assertThat(h.get("X-forwarded-proto")).containsExactly("http");
            assertThat(h.get("X-forwarded-port")).containsExactly(String.valueOf(port));
            assertThat(h.get("X-real-ip")).containsExactly("127.0.0.1");
            assertThat(h).doesNotContainKey("X-forwarded-prefix");
        }
    }

    /** RFC 7239: two field lines, the name in another case, as a client may send them. */
    private static final String SPOOFED_RFC7239 = "Forwarded: for=203.0.113.7;host=admin.internal;proto=https\r\n"
            + "forwarded: for=\"[2001:db8::7]\"\r\n";

    @Test
    void anUntrustedClientsForwardedHeaderDoesNotReachTheService() throws Exception {
        for (int port : new int[] {open, otherNetwork}) {
            Map<String, List<String>> h = upstreamSaw(port, SPOOFED_RFC7239 + SPOOFED);
            assertThat(h).as("entry point on %d", port).doesNotContainKey("Forwarded");
            assertThat(h.get("X-forwarded-for")).containsExactly("127.0.0.1");
        }
    }

    @Test
    void aTrustedClientsForwardedHeaderReachesTheServiceAsSent() throws Exception {
        for (int port : new int[] {trusting, insecure}) {
            Map<String, List<String>> h = upstreamSaw(port, SPOOFED_RFC7239);
            assertThat(h.get("Forwarded")).as("entry point on %d", port)
                    .containsExactly("for=203.0.113.7;host=admin.internal;proto=https", "for=\"[2001:db8::7]\"");
        }
    }

    /** The scheme headers Rack and others read, which Traefik strips as well. */
    private static final String SPOOFED_SCHEME = "X-Forwarded-Scheme: https\r\nX-Scheme: https\r\n";

    @Test
    void anUntrustedClientsSchemeHeadersDoNotReachTheService() throws Exception {
        Map<String, List<String>> h = upstreamSaw(open, SPOOFED_SCHEME);
        assertThat(h).doesNotContainKeys("X-forwarded-scheme", "X-scheme");
        assertThat(h.get("X-forwarded-proto")).containsExactly("http");
    }

    @Test
    void aTrustedClientsSchemeHeadersReachTheService() throws Exception {
        Map<String, List<String>> h = upstreamSaw(trusting, SPOOFED_SCHEME);
        assertThat(h.get("X-forwarded-scheme")).containsExactly("https");
        assertThat(h.get("X-scheme")).containsExactly("https");
    }

    /** CGI and WSGI servers read X_Forwarded_Proto as X-Forwarded-Proto; Traefik strips these forms too. */
    @Test
    void anUntrustedClientsUnderscoreFormsDoNotReachTheService() throws Exception {
        Map<String, List<String>> h = upstreamSaw(open, "X_Forwarded_Proto: https\r\nx_real_ip: 203.0.113.7\r\n"
                + "X_Forwarded_Scheme: https\r\nX_Custom: kept\r\n");
        assertThat(h).doesNotContainKeys("X_forwarded_proto", "X_real_ip", "X_forwarded_scheme");
        assertThat(h.get("X_custom")).containsExactly("kept");
        assertThat(h.get("X-forwarded-proto")).containsExactly("http");
    }

    @Test
    void theGatewayWritesNoForwardedHeaderOfItsOwn() throws Exception {
        for (int port : new int[] {open, trusting}) {
            assertThat(upstreamSaw(port, "")).as("entry point on %d", port).doesNotContainKey("Forwarded");
        }
    }

    @Test
    void aClientInTrustedIPsKeepsItsForwardingHeadersAndItsChainIsExtended() throws Exception {
        Map<String, List<String>> h = upstreamSaw(trusting, SPOOFED);
        assertThat(h.get("X-forwarded-for")).containsExactly("203.0.113.7, 127.0.0.1");
        assertThat(h.get("X-forwarded-host")).containsExactly("admin.internal");
        assertThat(h.get("X-forwarded-proto")).containsExactly("https");
        assertThat(h.get("X-forwarded-port")).containsExactly("8443");
        assertThat(h.get("X-forwarded-prefix")).containsExactly("/admin");
        assertThat(h.get("X-real-ip")).containsExactly("203.0.113.7");
    }

    @Test
    void aTrustedClientThatSendsNoForwardingHeadersGetsTheGatewaysOwn() throws Exception {
        Map<String, List<String>> h = upstreamSaw(trusting, "");
        assertThat(h.get("X-forwarded-for")).containsExactly("127.0.0.1");
        assertThat(h.get("X-forwarded-host")).containsExactly("shop.test:" + trusting);
        assertThat(h.get("X-forwarded-proto")).containsExactly("http");
        assertThat(h.get("X-forwarded-port")).containsExactly(String.valueOf(trusting));
        assertThat(h.get("X-real-ip")).containsExactly("127.0.0.1");
    }

    /**
     * A {@code Connection} header naming every forwarding header (in two field lines, in any case, one
     * with {@code _} for {@code -}) and one ordinary header, {@code X-Hop}.
     */
    private static final String CONNECTION_NAMES_THEM = "Connection: keep-alive, X-Forwarded-For, x-forwarded-proto\r\n"
            + "Connection: X-Forwarded-Host, X-Forwarded-Port, X-Forwarded-Prefix, X-Real-Ip, Forwarded, "
            + "X_Forwarded_Scheme, X-Hop\r\nX-Hop: 1\r\nForwarded: for=203.0.113.7\r\nX_Forwarded_Scheme: https\r\n";

    /** As in Traefik: the trust decision governs these headers, not the connection options of the last hop. */
    @Test
    void aTrustedClientsConnectionOptionsDoNotRemoveItsForwardingHeaders() throws Exception {
        Map<String, List<String>> h = upstreamSaw(trusting, CONNECTION_NAMES_THEM + SPOOFED);
        assertThat(h.get("X-forwarded-for")).containsExactly("203.0.113.7, 127.0.0.1");
        assertThat(h.get("X-forwarded-host")).containsExactly("admin.internal");
        assertThat(h.get("X-forwarded-proto")).containsExactly("https");
        assertThat(h.get("X-forwarded-port")).containsExactly("8443");
        assertThat(h.get("X-forwarded-prefix")).containsExactly("/admin");
        assertThat(h.get("X-real-ip")).containsExactly("203.0.113.7");
        assertThat(h.get("Forwarded")).containsExactly("for=203.0.113.7");
        assertThat(h.get("X_forwarded_scheme")).containsExactly("https");
        assertThat(h).doesNotContainKeys("X-hop", "Connection");
    }

    @Test
    void anUntrustedClientsConnectionOptionsLeaveTheGatewaysOwnForwardingHeaders() throws Exception {
        for (int port : new int[] {open, otherNetwork}) {
            Map<String, List<String>> h = upstreamSaw(port, CONNECTION_NAMES_THEM + SPOOFED);
            assertThat(h.get("X-forwarded-for")).as("entry point on %d", port).containsExactly("127.0.0.1");
            assertThat(h.get("X-forwarded-host")).containsExactly("shop.test:" + port);
            assertThat(h.get("X-forwarded-proto")).containsExactly("http");
            assertThat(h.get("X-forwarded-port")).containsExactly(String.valueOf(port));
            assertThat(h.get("X-real-ip")).containsExactly("127.0.0.1");
            assertThat(h).doesNotContainKeys("X-forwarded-prefix", "Forwarded", "X_forwarded_scheme", "X-hop",
                    "Connection");
        }
    }

    @Test
    void insecureTrustsEveryClient() throws Exception {
        Map<String, List<String>> h = upstreamSaw(insecure, SPOOFED);
        assertThat(h.get("X-forwarded-for")).containsExactly("203.0.113.7, 127.0.0.1");
        assertThat(h.get("X-forwarded-host")).containsExactly("admin.internal");
        assertThat(h.get("X-real-ip")).containsExactly("203.0.113.7");
    }
}
