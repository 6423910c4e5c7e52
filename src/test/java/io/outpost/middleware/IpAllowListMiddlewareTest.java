package io.outpost.middleware;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.PooledByteBufAllocator;
import io.outpost.config.Cidr;
import io.outpost.config.MiddlewareConfig;
import io.outpost.proxy.EntryPoint;
import io.outpost.proxy.GatewayContext;
import io.outpost.proxy.ProxyExchange;
import io.outpost.proxy.ProxyServer;
import io.outpost.proxy.RouteTarget;
import io.outpost.proxy.Transport;
import io.outpost.testing.Backend;
import io.outpost.testing.RawHttp;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class IpAllowListMiddlewareTest {

    private static Middleware allow(String... ranges) {
        return Fixture.build(new MiddlewareConfig.IpAllowList(Arrays.stream(ranges).map(Cidr::parse).toList()));
    }

    @Test
    void ipv4ClientInsideARangePasses() throws Exception {
        try (Fixture f = Fixture.start(allow("10.0.0.0/8", "127.0.0.0/30"))) {
            RawHttp.Response r = f.get("/in");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("b1 GET /in body=0\n");
        }
    }

    @Test
    void ipv4ClientOutsideEveryRangeGets403AndNeverReachesTheService() throws Exception {
        try (Fixture f = Fixture.start(allow("10.0.0.0/8", "127.0.0.2", "::1/128"))) {
            RawHttp.Response r = f.get("/out", "X-Forwarded-For: 10.1.1.1", "X-Real-Ip: 10.1.1.1");
            assertThat(r.status()).isEqualTo(403);
            assertThat(r.body()).contains("\"status\":403");
            assertThat(f.backend.hits()).isZero();
        }
    }

    @Test
    void ipv6ClientsAreMatchedAgainstIpv6Ranges() throws Exception {
        try (Backend backend = Backend.start("b6")) {
            try (Ipv6Proxy proxy = new Ipv6Proxy(backend, allow("127.0.0.0/8", "::1/128"))) {
                HttpResponse<String> r = proxy.get("/v6");
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("b6 GET /v6 body=0\n");
            }
            try (Ipv6Proxy proxy = new Ipv6Proxy(backend, allow("127.0.0.0/8", "fd00::/8", "::2/128"))) {
                assertThat(proxy.get("/v6").statusCode()).isEqualTo(403);
            }
            assertThat(backend.hits()).isEqualTo(1);
        }
    }

    @Test
    void ipv4MappedAddressesMatchIpv4Ranges() {
        IpAllowListMiddleware m = (IpAllowListMiddleware) allow("10.0.0.0/8");
        assertThat(m.allowed("::ffff:10.1.2.3")).isTrue();
        assertThat(m.allowed("::ffff:11.1.2.3")).isFalse();
        assertThat(m.allowed("not-an-ip")).isFalse();
        assertThat(m.allowed(null)).isFalse();
    }

    /** The real proxy listening on {@code [::1]}, since the shared harness binds IPv4 loopback only. */
    private static final class Ipv6Proxy implements AutoCloseable {
        private final ProxyServer server;
        private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

        Ipv6Proxy(Backend backend, Middleware middleware) throws InterruptedException {
            GatewayContext context = new GatewayContext(Transport.best(),
                    new PooledByteBufAllocator(true, 1, 1, 8192, 9, 0, 0, false), System::nanoTime, 60_000);
            var service = Fixture.service(backend);
            RouteTarget target = new RouteTarget("all", "svc",
                    ex -> middleware.handle(ex, e -> service.handle((ProxyExchange) e)));
            context.routing((ep, ex) -> target);
            server = new ProxyServer(context, Transport.best(), 1,
                    List.of(new EntryPoint("web6", new InetSocketAddress("::1", 0), 60_000)));
            server.start();
        }

        HttpResponse<String> get(String path) throws Exception {
            int port = server.entryPoints().get(0).localAddress().getPort();
            return client.send(HttpRequest.newBuilder(URI.create("http://[::1]:" + port + path)).build(),
                    HttpResponse.BodyHandlers.ofString());
        }

        @Override
        public void close() {
            server.shutdown(Duration.ZERO, System::nanoTime);
        }
    }
}
