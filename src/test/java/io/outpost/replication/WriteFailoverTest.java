package io.outpost.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A write the serving replica did not process goes to the next replica, and the client gets that
 * replica's answer (G5): with one of the default not-reached statuses, and when the connection is reset
 * after the replica read the write. Either way the first replica is owed the write afterwards (G2).
 */
class WriteFailoverTest {

    @TempDir
    Path dir;

    private Harness h;
    private ResettingReplica resetting;

    @AfterEach
    void stop() throws Exception {
        if (h != null) {
            h.close();
        }
        if (resetting != null) {
            resetting.close();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {502, 503, 504})
    void aWriteAnsweredWithADefaultNotReachedStatusGoesToTheNextReplica(int status) throws Exception {
        h = new Harness(dir).start();
        h.cloud.reject("/sales", status);

        HttpResponse<String> r = h.post("till-f", "/sales", "f1", null);

        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        assertThat(r.headers().firstValue("X-Replica")).hasValue("edge");
        assertThat(r.body()).isEqualTo("{\"replica\":\"edge\",\"body\":\"f1\"}");
        ReplicaServer.Received first = h.cloud.received().get(0);   // then again, owed to the cloud: see below
        assertThat(first.body()).as("sent to the cloud first").isEqualTo("f1");
        assertThat(first.kind()).isEqualTo("live");
        assertThat(h.cloud.state()).doesNotContainKey("till-f");
        assertThat(h.edge.received()).singleElement().extracting(ReplicaServer.Received::kind).isEqualTo("live");
        assertThat(h.gateway.metrics().scrape()).contains("outpost_replication_deliveries_total{kind=\"live\","
                + "outcome=\"not_reached\",replica=\"cloud\",service=\"pos\"} 1.0");

        h.cloud.acceptAll();
        await().atMost(Duration.ofSeconds(10)).until(() -> h.cloud.state().containsKey("till-f"));
        assertThat(h.cloud.state().get("till-f")).containsExactly("f1");
        assertThat(h.edge.receivedBodies("till-f")).as("run once where it was answered").containsExactly("f1");
    }

    @Test
    void aWriteWhoseConnectionIsResetAfterTheReplicaReadItGoesToTheNextReplica() throws Exception {
        resetting = new ResettingReplica();
        h = new Harness(dir);
        h.cloudUrl = resetting.url();
        h.start();

        HttpResponse<String> r = h.post("till-z", "/sales", "z1", null);

        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        assertThat(r.headers().firstValue("X-Replica")).hasValue("edge");
        assertThat(r.body()).isEqualTo("{\"replica\":\"edge\",\"body\":\"z1\"}");
        List<ResettingReplica.Read> reads = resetting.reads();
        assertThat(reads).as("the cloud read the whole write before the reset").isNotEmpty();
        assertThat(reads.get(0).body()).isEqualTo("z1");
        ReplicaServer.Received live = h.edge.received().get(0);
        assertThat(live.kind()).isEqualTo("live");
        assertThat(live.key()).as("one Idempotency-Key, so the cloud can drop the copy it may have run")
                .isEqualTo(reads.get(0).key()).isNotBlank();
        assertThat(h.edge.receivedBodies("till-z")).containsExactly("z1");
        assertThat(h.gateway.metrics().scrape()).contains("outpost_replication_deliveries_total{kind=\"live\","
                + "outcome=\"not_reached\",replica=\"cloud\",service=\"pos\"} 1.0");
    }
}
