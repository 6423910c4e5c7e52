package io.outpost.middleware;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.config.MiddlewareConfig;
import io.outpost.proxy.ForwardOptions;
import io.outpost.proxy.UpstreamTarget;
import io.outpost.service.RoundRobinService;
import io.outpost.testing.Backend;
import io.outpost.testing.ProxyHarness;
import io.outpost.upstream.FakeTicker;
import io.outpost.upstream.resilience.CircuitBreaker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The circuitBreaker middleware over a failing upstream, its clock driven by hand. */
class CircuitBreakerMiddlewareTest {

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void opensOnErrorsAnswers503WithRetryAfterThenCloses() throws Exception {
        FakeTicker ticker = new FakeTicker();
        var config = new MiddlewareConfig.CircuitBreaker(Optional.of(0.5), Optional.empty(), 3,
                Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(5));
        CircuitBreakerMiddleware breaker = new CircuitBreakerMiddleware("cb", config, ticker, new Random(1));
        try (Backend failing = Backend.start("f").on("/e", ex -> Backend.respond(ex, 500, "boom\n"));
             ProxyHarness proxy = new ProxyHarness(new RoundRobinService("s", List.of(UpstreamTarget.of(failing.url())),
                     ForwardOptions.DEFAULTS), breaker)) {
            for (int i = 0; i < 3; i++) {
                ticker.advance(Duration.ofSeconds(1));
                assertThat(get(proxy).statusCode()).isEqualTo(500);
            }
            // The result is recorded on the event loop right after the response went out.
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> breaker.state() == CircuitBreaker.State.OPEN);
            HttpResponse<String> open = get(proxy);
            assertThat(open.statusCode()).isEqualTo(503);
            assertThat(open.headers().firstValue("Retry-After")).hasValue("5");
            assertThat(open.body()).contains("circuit breaker cb is open");
            assertThat(failing.hits()).isEqualTo(3);

            ticker.advance(Duration.ofSeconds(5));
            assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
            ticker.advance(Duration.ofSeconds(5));
            assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
            assertThat(get(proxy).statusCode()).isEqualTo(500);
            assertThat(failing.hits()).isEqualTo(4);
        }
    }

    private HttpResponse<String> get(ProxyHarness proxy) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(proxy.url("/e"))).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
