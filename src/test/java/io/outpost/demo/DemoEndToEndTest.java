package io.outpost.demo;

import io.outpost.testing.Ports;
import static io.outpost.demo.Clients.get;
import static io.outpost.demo.Clients.json;
import static io.outpost.demo.Clients.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.outpost.runtime.Gateway;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The walk-through of docs/demo.md against the real gateway: sell, cut the link, keep selling,
 * restore, and find the same sales in the same order on both replicas.
 */
class DemoEndToEndTest {

    @TempDir
    Path dir;

    @Test
    void salesMadeWhileTheLinkIsDownReachTheCloudOnceInOrder() throws Exception {
        DemoPorts ports = new DemoPorts(Ports.free(), Ports.free(), 0, 0, 0, 0);
        try (Demo demo = Demo.start(new Demo.Settings(dir, false, ports),
                file -> Gateway.start(file, Gateway.Options.defaults().workers(1)))) {
            String sales = "http://127.0.0.1:" + ports.gateway() + "/pos/sales";
            sell(sales, "till-1", "apple", "till-2", "pear");
            await().atMost(Duration.ofSeconds(10)).until(() -> demo.cloud().sales().size() == 2
                    && demo.edge().sales().size() == 2);

            demo.link().down();
            sell(sales, "till-1", "milk", "till-2", "bread", "till-1", "eggs");
            assertThat(demo.cloud().sales()).hasSize(2);
            assertThat(json(get(sales, "X-Till", "till-1")).get("count").asInt()).isEqualTo(3);

            demo.link().up();
            await().atMost(Duration.ofSeconds(20)).until(() -> demo.cloud().sales().size() == 5);

            for (String till : List.of("till-1", "till-2")) {
                assertThat(keys(demo.cloud(), till)).isEqualTo(keys(demo.edge(), till));
            }
            assertThat(demo.cloud().sales()).extracting(Sale::idempotencyKey).doesNotHaveDuplicates().doesNotContainNull();
            assertThat(demo.cloud().sales()).extracting(Sale::originalTime).doesNotContainNull();
            assertThat(demo.cloud().sales()).extracting(Sale::delivery).contains("replay");
        }
    }

    private static void sell(String url, String... tillsAndItems) {
        for (int i = 0; i < tillsAndItems.length; i += 2) {
            var response = post(url, "{\"item\":\"" + tillsAndItems[i + 1] + "\",\"qty\":1}", "X-Till", tillsAndItems[i]);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        }
    }

    private static List<String> keys(PosService replica, String till) {
        return replica.sales().stream().filter(s -> till.equals(s.till())).map(Sale::idempotencyKey).toList();
    }
}
