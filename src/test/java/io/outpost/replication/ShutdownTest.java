package io.outpost.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.runtime.Gateway;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A replicated service when the gateway stops: what a replica answered meanwhile is not delivered to it again (G4). */
class ShutdownTest extends HarnessTest {

    @Test
    void aShadowDeliveryAnsweredWhileTheGatewayStopsIsNotDeliveredAgainAfterARestart() throws Exception {
        h = new Harness(dir).start();
        h.edge.slow("till-s", 400);   // the edge takes its time: its delivery is under way when the gateway stops
        HttpResponse<String> r = h.post("till-s", "/sales", "w1", null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(5)).until(() -> h.edge.inProgress() == 1);

        h.gateway.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> h.edge.receivedBodies("till-s").size() == 1);

        h.edge.slow(null, 0);
        h.gateway = Gateway.start(h.file, h.options);
        await().atMost(Duration.ofSeconds(5)).until(() -> h.replica("edge").get("backlog").asLong() == 0);
        assertThat(h.edge.receivedBodies("till-s")).containsExactly("w1");
    }
}
