package io.outpost.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.config.ConfigLoader;
import io.outpost.config.ConfigResult;
import io.outpost.config.HealthCheckConfig;
import io.outpost.config.OutpostConfig;
import io.outpost.config.RouterConfig;
import io.outpost.config.RuleChecker;
import io.outpost.config.ServiceConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The configuration the demo writes passes validation and says what the demo promises; the guide names the right ports. */
class DemoConfigTest {

    private static final DemoPorts MOVED = DemoPorts.of(18080, 19200);

    @TempDir
    Path dir;

    @Test
    void generatedConfigurationIsValidAndWiresTheReplicas() throws Exception {
        Path data = dir.resolve("demo data");
        Path file = dir.resolve(DemoConfig.FILE);
        Files.writeString(file, DemoConfig.yaml(MOVED, data));

        ConfigResult result = new ConfigLoader(RuleChecker.installed()).load(file);

        assertThat(result.errors()).isEmpty();
        assertThat(result.warnings()).isEmpty();
        OutpostConfig config = result.orElseThrow();
        assertThat(config.entryPoints().get("web").address().toString()).isEqualTo("127.0.0.1:18080");
        assertThat(config.admin().address().toString()).isEqualTo("127.0.0.1:18081");
        assertThat(config.journal().dir()).isEqualTo(data.resolve("journal"));
        assertThat(config.accessLog().enabled()).isTrue();
        assertThat(config.accessLog().path()).isEqualTo(data.resolve("access.log").toString());

        RouterConfig router = config.http().routers().get("pos");
        assertThat(router.rule()).isEqualTo("PathPrefix(`/pos`)");
        assertThat(router.service()).isEqualTo("pos");
        ServiceConfig.Replicated pos = (ServiceConfig.Replicated) config.http().services().get("pos");
        assertThat(pos.sessionKey()).hasValueSatisfying(k -> assertThat(k.toString()).isEqualTo("header:X-Till"));
        assertThat(pos.replicas()).containsOnlyKeys("cloud", "edge");
        assertThat(pos.replicas().get("cloud").priority()).isZero();
        assertThat(pos.replicas().get("cloud").endpoints()).extracting(Object::toString)
                .containsExactly("http://127.0.0.1:19200"); // the link, not the cloud replica's own port
        assertThat(pos.replicas().get("edge").priority()).isEqualTo(1);
        assertThat(pos.replicas().get("edge").endpoints()).extracting(Object::toString)
                .containsExactly("http://127.0.0.1:19202");
        HealthCheckConfig health = pos.healthCheck().orElseThrow();
        assertThat(health.path()).isEqualTo("/health");
        assertThat(health.interval()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void shippedExampleIsTheDefaultConfiguration() throws Exception {
        assertThat(Files.readString(Path.of("examples", "demo.yaml")))
                .isEqualTo(DemoConfig.yaml(DemoPorts.defaults(), Demo.Settings.DEFAULT_DATA));
    }

    @Test
    void guideNamesThePortsInUse() {
        String guide = DemoGuide.text(MOVED, Path.of("somewhere"));

        assertThat(guide)
                .contains("curl -s -H 'X-Till: till-1' -d '{\"item\":\"apple\",\"qty\":2}' http://127.0.0.1:18080/pos/sales")
                .contains("-H 'X-Till: till-2'")
                .contains("curl -s -H 'X-Till: till-1' http://127.0.0.1:18080/pos/sales")
                .contains("curl -X POST http://127.0.0.1:19209/link/down")
                .contains("curl -X POST http://127.0.0.1:19209/link/up")
                .contains("curl -s http://127.0.0.1:18081/api/services/pos")
                .contains("http://127.0.0.1:18081/metrics")
                .contains("curl -s http://127.0.0.1:19201/pos/sales")
                .contains("curl -s http://127.0.0.1:19202/pos/sales")
                .contains("somewhere")
                .doesNotContain(":8080", ":8081", ":9100", ":9101", ":9102", ":9109");
    }

    @Test
    void defaultPortsAreTheDocumentedOnesAndBadBasesAreRejected() {
        assertThat(DemoPorts.defaults()).isEqualTo(new DemoPorts(8080, 8081, 9100, 9101, 9102, 9109));
        assertThatThrownBy(() -> DemoPorts.of(8080, 65530)).hasMessage("port base: 65530 (expected: 1-65526)");
        assertThatThrownBy(() -> DemoPorts.of(0, 9100)).hasMessage("gateway port: 0 (expected: 1-65534)");
    }
}
