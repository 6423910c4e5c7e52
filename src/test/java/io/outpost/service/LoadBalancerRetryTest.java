package io.outpost.service;

import io.outpost.testing.Ports;
import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.testing.Backend;
import io.outpost.testing.ProxyHarness;
import io.outpost.upstream.FakeTicker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How many times one request may move on to another endpoint, against the retry budget. */
class LoadBalancerRetryTest {

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final ScheduledExecutorService scheduler = Lb.scheduler();
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        scheduler.shutdownNow();
    }

    private static String deadUrl() {
        return "http://127.0.0.1:" + Ports.free();
    }

    @Test
    void oneRequestAloneCanTryEveryEndpointUntilOneAnswers() throws Exception {
        Backend live = Backend.start("live");
        closing.add(live);
        // Four dead endpoints before the live one: a request may need four moves, one after another,
        // while it is the only request in flight. Each finished attempt gives its retry slot back.
        LoadBalancerService lb = Lb.of(deadUrl(), deadUrl(), deadUrl(), deadUrl(), live.url())
                .build("web", new FakeTicker(), scheduler, null);
        closing.add(lb::close);
        ProxyHarness proxy = new ProxyHarness(lb);
        closing.add(proxy);
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(proxy.url("/s"))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("request %d: %s", i, r.body()).isEqualTo(200);
        }
    }
}
