package io.outpost.middleware;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.config.Cidr;
import io.outpost.config.MiddlewareConfig;
import io.outpost.config.RequestKey;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class MiddlewaresTest {

    @Test
    void buildsEveryTypeThisPackageOwns() {
        List<MiddlewareConfig> configs = List.of(
                new MiddlewareConfig.StripPrefix(List.of("/a")),
                new MiddlewareConfig.AddPrefix("/a"),
                new MiddlewareConfig.ReplacePath("/a"),
                new MiddlewareConfig.Headers(Map.of("X-A", "1"), Map.of()),
                new MiddlewareConfig.RedirectScheme("https", OptionalInt.empty(), true),
                new MiddlewareConfig.IpAllowList(List.of(Cidr.parse("10.0.0.0/8"))),
                new MiddlewareConfig.MaxBodySize(1),
                new MiddlewareConfig.InFlightReq(1, RequestKey.CLIENT_IP),
                new MiddlewareConfig.Buffering(MiddlewareConfig.Buffering.DEFAULT_MAX_REQUEST_BODY_BYTES));
        for (MiddlewareConfig c : configs) {
            assertThat(Middlewares.create("m", c)).as(c.type()).isNotNull();
        }
    }

    @Test
    void buildsCircuitBreakerAndRetryAndRejectsBadOnes() {
        var breaker = new MiddlewareConfig.CircuitBreaker(Optional.of(0.5), Optional.empty(), 10,
                Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(10));
        assertThat(Middlewares.create("cb", breaker)).isInstanceOf(CircuitBreakerMiddleware.class);
        assertThat(Middlewares.create("again", new MiddlewareConfig.Retry(3, Duration.ofMillis(100))))
                .isInstanceOf(RetryMiddleware.class);
        var neither = new MiddlewareConfig.CircuitBreaker(Optional.empty(), Optional.empty(), 10,
                Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(10));
        assertInvalid(neither, "middleware m: expected errorRatio or latencyThreshold");
        assertInvalid(new MiddlewareConfig.Retry(0, Duration.ofMillis(100)), "middleware m: attempts: 0");
    }

    @Test
    void badConfigurationsNameTheMiddlewareAndTheKey() {
        assertInvalid(new MiddlewareConfig.StripPrefix(List.of()), "middleware m: prefixes: empty");
        assertInvalid(new MiddlewareConfig.StripPrefix(List.of("/ok", "api")), "middleware m: prefixes[1]: \"api\"");
        assertInvalid(new MiddlewareConfig.AddPrefix(""), "middleware m: prefix: empty");
        assertInvalid(new MiddlewareConfig.ReplacePath("/a b"), "middleware m: path: \"/a b\"");
        assertInvalid(new MiddlewareConfig.ReplacePath("/a?b"), "middleware m: path: \"/a?b\"");
        assertInvalid(new MiddlewareConfig.Headers(Map.of("Bad Name", "x"), Map.of()),
                "middleware m: customRequestHeaders: \"Bad Name\"");
        assertInvalid(new MiddlewareConfig.Headers(Map.of(), Map.of("X-A", "a\r\nX-Injected: 1")),
                "middleware m: customResponseHeaders.X-A");
        assertInvalid(new MiddlewareConfig.Headers(Map.of("Content-Length", "1"), Map.of()),
                "middleware m: customRequestHeaders: \"Content-Length\"");
        assertInvalid(new MiddlewareConfig.RedirectScheme("ht tps", OptionalInt.empty(), false), "middleware m: scheme:");
        assertInvalid(new MiddlewareConfig.RedirectScheme("https", OptionalInt.of(0), false), "middleware m: port: 0");
        assertInvalid(new MiddlewareConfig.IpAllowList(List.of()), "middleware m: sourceRange: empty");
        assertInvalid(new MiddlewareConfig.MaxBodySize(-1), "middleware m: limit: -1");
        assertInvalid(new MiddlewareConfig.InFlightReq(0, RequestKey.CLIENT_IP), "middleware m: amount: 0");
        assertInvalid(new MiddlewareConfig.InFlightReq(1, new RequestKey(RequestKey.Source.COOKIE, "sid")),
                "middleware m: sourceCriterion: \"cookie:sid\"");
        assertInvalid(new MiddlewareConfig.Buffering(0), "middleware m: maxRequestBodyBytes: 0");
        assertInvalid(null, "middleware m: no configuration");
    }

    private static void assertInvalid(MiddlewareConfig config, String messageStart) {
        assertThatThrownBy(() -> Middlewares.create("m", config))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(messageStart);
    }
}
