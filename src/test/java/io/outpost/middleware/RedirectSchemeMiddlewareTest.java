package io.outpost.middleware;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.config.MiddlewareConfig;
import io.outpost.testing.RawHttp;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class RedirectSchemeMiddlewareTest {

    private static Middleware redirect(String scheme, OptionalInt port, boolean permanent) {
        return Fixture.build(new MiddlewareConfig.RedirectScheme(scheme, port, permanent));
    }

    private static String request(String method, String target, String host) {
        return method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 0\r\n\r\n";
    }

    @Test
    void permanentRedirectIs301ForGetAnd308ForOtherMethods() throws Exception {
        try (Fixture f = Fixture.start(redirect("https", OptionalInt.empty(), true))) {
            RawHttp.Response get = f.send(request("GET", "/cart?id=5&x=%20", "shop.test:8080"));
            assertThat(get.status()).isEqualTo(301);
            assertThat(get.header("Location")).isEqualTo("https://shop.test/cart?id=5&x=%20");
            RawHttp.Response post = f.send(request("POST", "/cart", "shop.test"));
            assertThat(post.status()).isEqualTo(308);
            assertThat(post.header("Location")).isEqualTo("https://shop.test/cart");
            assertThat(f.backend.hits()).isZero();
        }
    }

    @Test
    void temporaryRedirectIs302ForGetAnd307ForOtherMethods() throws Exception {
        try (Fixture f = Fixture.start(redirect("https", OptionalInt.of(8443), false))) {
            RawHttp.Response get = f.send(request("HEAD", "/a", "Shop.Test"));
            assertThat(get.status()).isEqualTo(302);
            assertThat(get.header("Location")).isEqualTo("https://shop.test:8443/a");
            RawHttp.Response put = f.send(request("PUT", "/a?b", "shop.test"));
            assertThat(put.status()).isEqualTo(307);
            assertThat(put.header("Location")).isEqualTo("https://shop.test:8443/a?b");
            assertThat(f.backend.hits()).isZero();
        }
    }

    @Test
    void defaultPortIsLeftOutAndIpv6HostsKeepTheirBrackets() throws Exception {
        try (Fixture f = Fixture.start(redirect("https", OptionalInt.of(443), true))) {
            RawHttp.Response r = f.send(request("GET", "/x", "[::1]:8080"));
            assertThat(r.header("Location")).isEqualTo("https://[::1]/x");
        }
    }

    @Test
    void locationUsesTheUriTheClientSentNotTheRewrittenOne() throws Exception {
        Middleware strip = Fixture.build(new MiddlewareConfig.StripPrefix(List.of("/pos")));
        try (Fixture f = Fixture.start(strip, redirect("https", OptionalInt.empty(), true))) {
            assertThat(f.send(request("GET", "/pos/a?q=1", "shop.test")).header("Location"))
                    .isEqualTo("https://shop.test/pos/a?q=1");
        }
    }

    @Test
    void requestAlreadyOnTheSchemePassesThrough() throws Exception {
        try (Fixture f = Fixture.start(redirect("http", OptionalInt.of(8080), true))) {
            RawHttp.Response r = f.send(request("GET", "/plain", "shop.test"));
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("b1 GET /plain body=0\n");
            assertThat(r.headers()).doesNotContainKey("location");
        }
    }
}
