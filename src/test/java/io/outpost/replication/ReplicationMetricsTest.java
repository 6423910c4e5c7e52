package io.outpost.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.outpost.runtime.Gateway;
import io.outpost.runtime.ServiceFactory;
import io.outpost.testing.MutableClock;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The meters of one replicated service, from its first delivery to after it was closed. */
class ReplicationMetricsTest {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    @Test
    void deliveriesAnsweredAfterTheServiceClosedRegisterNothing() {
        ReplicationMetrics metrics = new ReplicationMetrics(registry, "pos");
        metrics.delivery("edge", DeliveryHeaders.SHADOW, 201);
        metrics.divergence("edge");
        assertThat(registry.scrape())
                .contains("outpost_replication_deliveries_total{kind=\"shadow\",outcome=\"2xx\",replica=\"edge\",service=\"pos\"} 1.0")
                .contains("outpost_replication_divergences_total{replica=\"edge\",service=\"pos\"} 1.0");

        metrics.close();
        // A delivery that was still under way when the service closed (it waits a few seconds at most) ends now.
        metrics.delivery("edge", DeliveryHeaders.REPLAY, 0);
        metrics.delivery("edge", DeliveryHeaders.SHADOW, 201);
        metrics.divergence("cloud");

        assertThat(registry.getMeters()).as("a removed service must not leave meters behind").isEmpty();
        assertThat(registry.scrape()).doesNotContain("service=\"pos\"");
    }

    /**
     * {@code outpost_replication_oldest_pending_seconds} is a replica's lag: how long the oldest write it
     * is owed has waited, by the gateway's clock, and 0 once it has every write.
     */
    @Test
    void theOldestPendingGaugeIsTheAgeOfTheOldestWriteAReplicaIsOwed(@TempDir Path dir) throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2025-06-01T12:00:00Z"));
        try (Harness h = new Harness(dir)) {
            h.options = new Gateway.Options(2, clock, new ServiceFactory());
            h.start();
            assertThat(h.admin("POST", "/api/services/pos/replicas/edge/pause").statusCode()).isEqualTo(200);
            assertThat(h.post("till-o", "/sales", "o1", null).statusCode()).isEqualTo(201);
            clock.advance(Duration.ofSeconds(30));
            assertThat(h.post("till-o", "/sales", "o2", null).statusCode()).isEqualTo(201);
            clock.advance(Duration.ofMillis(12_500));

            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(scrape(h))
                    .contains(oldestPending("edge", "42.5"))
                    .contains("outpost_replication_backlog{replica=\"edge\",service=\"pos\"} 2.0")
                    .contains(oldestPending("cloud", "0.0")));

            assertThat(h.admin("POST", "/api/services/pos/replicas/edge/resume").statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(scrape(h))
                    .contains(oldestPending("edge", "0.0")));
            assertThat(h.edge.receivedBodies("till-o")).containsExactly("o1", "o2");
        }
    }

    private static String oldestPending(String replica, String seconds) {
        return "outpost_replication_oldest_pending_seconds{replica=\"" + replica + "\",service=\"pos\"} " + seconds;
    }

    /** {@code GET /metrics} on the admin server. */
    private static String scrape(Harness h) throws Exception {
        HttpResponse<String> r = h.admin("GET", "/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    @Test
    void aServiceOpenedAgainAfterItsPredecessorClosedCountsFromZero() {
        ReplicationMetrics first = new ReplicationMetrics(registry, "pos");
        first.delivery("edge", DeliveryHeaders.SHADOW, 201);
        first.close();
        first.delivery("edge", DeliveryHeaders.REPLAY, 201);

        // The service is added back by a later reload, with a journal opened again.
        ReplicationMetrics second = new ReplicationMetrics(registry, "pos");
        second.delivery("edge", DeliveryHeaders.REPLAY, 201);
        second.delivery("edge", DeliveryHeaders.SHADOW, 201);
        assertThat(registry.scrape())
                .contains("outpost_replication_deliveries_total{kind=\"replay\",outcome=\"2xx\",replica=\"edge\",service=\"pos\"} 1.0")
                .contains("outpost_replication_deliveries_total{kind=\"shadow\",outcome=\"2xx\",replica=\"edge\",service=\"pos\"} 1.0");
    }
}
