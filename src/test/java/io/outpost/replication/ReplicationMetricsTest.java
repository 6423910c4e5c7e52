package io.outpost.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

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
