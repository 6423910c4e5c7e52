package io.outpost.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ConfigJsonTest {

    @Test
    void secretsAreRedacted() {
        OutpostConfig config = ConfigLoaderTest.valid("""
                entryPoints: { web: { address: ":8080" } }
                admin: { address: "127.0.0.1:9000", auth: { token: "hunter2" } }
                """);

        JsonNode json = ConfigJson.render(config);

        assertThat(json.at("/admin/auth/token").asText()).isEqualTo(ConfigJson.REDACTED);
        assertThat(json.toString()).doesNotContain("hunter2");
        assertThat(json.at("/admin/address").asText()).isEqualTo("127.0.0.1:9000");
        assertThat(config.admin().auth().orElseThrow().toString()).doesNotContain("hunter2");
    }

    @Test
    void rendersInTheFileNotation() throws IOException {
        OutpostConfig config = ConfigLoaderTest.valid(ConfigLoaderTest.designExample());

        JsonNode json = ConfigJson.render(config);

        assertThat(json.at("/entryPoints/web/graceTimeout").asText()).isEqualTo("10s");
        assertThat(json.at("/http/routers/pos/priority").asInt()).isEqualTo(10);
        assertThat(json.at("/http/middlewares/strip/stripPrefix/prefixes/0").asText()).isEqualTo("/pos");
        assertThat(json.at("/http/services/web/loadBalancer/policy").asText()).isEqualTo("roundRobin");
        assertThat(json.at("/http/services/web/loadBalancer/healthCheck/timeout").asText()).isEqualTo("500ms");
        assertThat(json.at("/http/services/web/loadBalancer/endpoints/1/url").asText()).isEqualTo("http://127.0.0.1:9002");
        assertThat(json.at("/http/services/web/loadBalancer").has("retry")).as("absent optional section").isFalse();
        assertThat(json.at("/http/services/pos/replicated/sessionKey").asText()).isEqualTo("claim:sub");
        assertThat(json.at("/http/services/pos/replicated/replicas/cloud/endpoints/0").asText())
                .isEqualTo("http://cloud.internal:9000");
        assertThat(json.at("/journal/dir").asText()).isEqualTo("data/journal");
    }

    @Test
    void rendersOneServiceOnItsOwn() {
        ServiceConfig service = new ServiceConfig.Weighted(
                List.of(new ServiceConfig.WeightedService("a", 3)), Optional.empty());

        assertThat(ConfigJson.render(service).toString()).isEqualTo("{\"weighted\":{\"services\":[{\"name\":\"a\",\"weight\":3}]}}");
    }
}
