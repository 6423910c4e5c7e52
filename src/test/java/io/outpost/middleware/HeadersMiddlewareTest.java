package io.outpost.middleware;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.outpost.config.MiddlewareConfig;
import io.outpost.testing.RawHttp;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HeadersMiddlewareTest {

    private static Middleware headers(Map<String, String> request, Map<String, String> response) {
        return Fixture.build(new MiddlewareConfig.Headers(request, response));
    }

    @Test
    void setsReplacesAndRemovesRequestHeaders() throws Exception {
        Map<String, String> request = new LinkedHashMap<>();
        request.put("X-Edge", "store-12");
        request.put("X-Debug", "");
        try (Fixture f = Fixture.start(headers(request, Map.of()))) {
            RawHttp.Response r = f.get("/a", "X-Edge: forged", "X-Edge: twice", "X-Debug: 1", "X-Other: kept");
            assertThat(r.status()).isEqualTo(200);
            assertThat(f.received(0, "X-Edge")).containsExactly("store-12");
            assertThat(f.received(0, "X-Debug")).isNull();
            assertThat(f.received(0, "X-Other")).containsExactly("kept");
        }
    }

    @Test
    void setsAndRemovesResponseHeaders() throws Exception {
        Map<String, String> response = new LinkedHashMap<>();
        response.put("X-Served-By", "outpost");
        response.put("Content-Type", "text/x-custom");
        response.put("Date", "");
        try (Fixture f = Fixture.start(headers(Map.of(), response))) {
            RawHttp.Response r = f.get("/a");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("X-Served-By")).isEqualTo("outpost");
            assertThat(r.header("Content-Type")).isEqualTo("text/x-custom");
            assertThat(r.headers()).doesNotContainKey("date");
            assertThat(r.body()).isEqualTo("b1 GET /a body=0\n");
        }
    }

    @Test
    void responseHeadersAlsoApplyToLocalAnswersOfLaterMiddlewares() throws Exception {
        Middleware deny = (exchange, next) -> exchange.respond(HttpResponseStatus.FORBIDDEN, "no");
        try (Fixture f = Fixture.start(headers(Map.of(), Map.of("X-Served-By", "outpost")), deny)) {
            RawHttp.Response r = f.get("/a");
            assertThat(r.status()).isEqualTo(403);
            assertThat(r.header("X-Served-By")).isEqualTo("outpost");
            assertThat(f.backend.hits()).isZero();
        }
    }
}
