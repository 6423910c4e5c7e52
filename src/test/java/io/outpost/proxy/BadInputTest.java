package io.outpost.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.service.RoundRobinService;
import io.outpost.testing.Backend;
import io.outpost.testing.ProxyHarness;
import io.outpost.testing.RawHttp;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Malformed and hostile requests: each gets its status, none reaches the upstream. */
class BadInputTest {

    private Backend backend;
    private ProxyHarness proxy;

    @BeforeEach
    void start() throws Exception {
        backend = Backend.start("b1");
        proxy = new ProxyHarness(new RoundRobinService("svc", List.of(UpstreamTarget.of(backend.url())),
                ForwardOptions.DEFAULTS));
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    private RawHttp.Response exchange(String request) throws Exception {
        try (RawHttp raw = new RawHttp(proxy.port())) {
            raw.send(request);
            RawHttp.Response response = raw.read();
            assertThat(raw.closedByPeer()).as("connection closed after a malformed request").isTrue();
            return response;
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "garbage request line | GARBAGE\\r\\n\\r\\n | 400",
        "missing version | GET /\\r\\nHost: x\\r\\n\\r\\n | 400",
        "TE and CL together | POST / HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 5\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n | 400",
        "two Content-Length values | POST / HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 5\\r\\nContent-Length: 6\\r\\n\\r\\nhello | 400",
        "repeated Content-Length | POST / HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 5\\r\\nContent-Length: 5\\r\\n\\r\\nhello | 400",
        "a coding without chunked | POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: gzip\\r\\n\\r\\n | 400",
        "an unknown coding alone | POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: br\\r\\n\\r\\n | 400",
        "chunked not last | POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked, gzip\\r\\n\\r\\n0\\r\\n\\r\\n | 400",
        "chunked twice | POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked, chunked\\r\\n\\r\\n0\\r\\n\\r\\n | 400",
        "chunked in two fields | POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n | 400",
        "an empty Transfer-Encoding | POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: \\r\\n\\r\\n | 400",
        "an empty coding | POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: gzip, , chunked\\r\\n\\r\\n0\\r\\n\\r\\n | 400",
        "an empty last coding | POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked,\\r\\n\\r\\n0\\r\\n\\r\\n | 400",
        "a coding that is no token | POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: g(zip), chunked\\r\\n\\r\\n0\\r\\n\\r\\n | 400",
        "a parameter without a value | POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: gzip;level, chunked\\r\\n\\r\\n0\\r\\n\\r\\n | 400",
        "chunked with a parameter | POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked;x=1\\r\\n\\r\\n0\\r\\n\\r\\n | 400",
        "an unknown coding and Content-Length | POST / HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 5\\r\\nTransfer-Encoding: gzip, chunked\\r\\n\\r\\n0\\r\\n\\r\\n | 400",
        "an unknown coding in HTTP/1.0 | POST / HTTP/1.0\\r\\nHost: x\\r\\nTransfer-Encoding: gzip, chunked\\r\\n\\r\\n0\\r\\n\\r\\n | 400",
        "gzip then chunked | POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: gzip, chunked\\r\\n\\r\\n0\\r\\n\\r\\n | 501",
        "br then chunked | POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: br,chunked\\r\\n\\r\\n0\\r\\n\\r\\n | 501",
        "codings in two fields | POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: gzip\\r\\nTransfer-Encoding: Chunked\\r\\n\\r\\n0\\r\\n\\r\\n | 501",
        "a coding with parameters | POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: gzip ; level=\"9, fast\" ;x=y, chunked\\r\\n\\r\\n0\\r\\n\\r\\n | 501",
        "missing Host | GET / HTTP/1.1\\r\\n\\r\\n | 400",
        "two Hosts | GET / HTTP/1.1\\r\\nHost: a\\r\\nHost: b\\r\\n\\r\\n | 400",
        "Host with a space | GET / HTTP/1.1\\r\\nHost: a b\\r\\n\\r\\n | 400",
        "Host with a bad port | GET / HTTP/1.1\\r\\nHost: a:99999\\r\\n\\r\\n | 400",
        "Host with a slash | GET / HTTP/1.1\\r\\nHost: a/b\\r\\n\\r\\n | 400",
    })
    void malformedRequestsAreRejected(String name, String request, int status) throws Exception {
        RawHttp.Response r = exchange(request.replace("\\r\\n", "\r\n"));
        assertThat(r.status()).isEqualTo(status);
        assertThat(r.body()).contains("\"status\":" + status);
        assertThat(backend.hits()).isZero();
    }

    @Test
    void oversizeUriIs414() throws Exception {
        RawHttp.Response r = exchange("GET /" + "a".repeat(9000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(r.status()).isEqualTo(414);
        assertThat(backend.hits()).isZero();
    }

    @Test
    void oversizeHeadersAre431() throws Exception {
        RawHttp.Response r = exchange("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(20000) + "\r\n\r\n");
        assertThat(r.status()).isEqualTo(431);
        assertThat(backend.hits()).isZero();
    }

    @Test
    void malformedChunkIs400() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.port())) {
            raw.send("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nhello\r\n0\r\n\r\n");
            RawHttp.Response r = raw.read();
            assertThat(r.status()).isIn(400, 502);
            assertThat(raw.closedByPeer()).isTrue();
        }
    }

    @Test
    void theGatewayKeepsServingAfterBadInput() throws Exception {
        for (int i = 0; i < 20; i++) {
            exchange("GARBAGE " + i + "\r\n\r\n");
        }
        try (RawHttp raw = new RawHttp(proxy.port())) {
            raw.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().status()).isEqualTo(200);
        }
        // The exchange ends on the event loop just after its response is flushed.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
                .until(() -> proxy.context.inFlight() == 0);
    }
}
