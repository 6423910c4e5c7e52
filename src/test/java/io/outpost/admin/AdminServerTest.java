package io.outpost.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Methods on admin endpoints: reads take GET and HEAD, actions take POST, anything else is 405 with Allow. */
class AdminServerTest {

    private final AdminServer server = new AdminServer(new InetSocketAddress("127.0.0.1", 0))
            .openRoute("/health", (m, p, b) -> AdminResponse.text(200, "text/plain", "ok\n"))
            .route("/api/config", (m, p, b) -> AdminResponse.json(200, List.of("config")))
            .route("/api/services/{name}/replicas/{replica}/pause", List.of("POST"),
                    (m, p, b) -> AdminResponse.json(200, p));

    @AfterEach
    void stop() {
        server.close();
    }

    private AdminResponse call(String method, String path) {
        return server.dispatch(method, path, new byte[0], null);
    }

    private static String body(AdminResponse response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    @Test
    void aReadEndpointAnswersGetAndHeadAndRefusesOtherMethodsWith405() {
        assertThat(call("GET", "/health").status()).isEqualTo(200);
        assertThat(call("HEAD", "/health").status()).isEqualTo(200);
        for (String method : List.of("DELETE", "POST", "PUT", "PATCH", "OPTIONS")) {
            AdminResponse refused = call(method, "/api/config");
            assertThat(refused.status()).as(method).isEqualTo(405);
            assertThat(refused.headers()).containsEntry("Allow", "GET, HEAD");
            assertThat(body(refused)).contains("\"status\" : 405")
                    .contains("method " + method + " is not allowed on /api/config (allowed: GET, HEAD)");
        }
        assertThat(call("DELETE", "/health").status()).isEqualTo(405);
    }

    @Test
    void anActionEndpointAnswersPostOnlyAndRefusesReadsWith405() {
        assertThat(call("POST", "/api/services/pos/replicas/cloud/pause").status()).isEqualTo(200);
        AdminResponse refused = call("GET", "/api/services/pos/replicas/cloud/pause");
        assertThat(refused.status()).isEqualTo(405);
        assertThat(refused.headers()).containsEntry("Allow", "POST");
    }

    @Test
    void anUnknownPathIsStill404AndAMissingTokenStill401WhateverTheMethod() {
        assertThat(call("DELETE", "/nothing").status()).isEqualTo(404);
        server.bearerToken("t0k3n");
        assertThat(call("DELETE", "/api/config").status()).isEqualTo(401);
        assertThat(server.dispatch("DELETE", "/api/config", new byte[0], "Bearer t0k3n").status()).isEqualTo(405);
        assertThat(call("DELETE", "/health").status()).isEqualTo(405);
    }

    @Test
    void anOpenRouteIsAnsweredWithoutTheTokenAndTheOthersStillNeedIt() {
        server.openRoute("/page", (m, p, b) -> AdminResponse.text(200, "text/html", "<p>page</p>"));
        server.bearerToken("t0k3n");

        assertThat(call("GET", "/page").status()).isEqualTo(200);
        assertThat(call("HEAD", "/page").status()).isEqualTo(200);
        assertThat(call("POST", "/page").status()).isEqualTo(405);
        assertThat(call("GET", "/api/config").status()).isEqualTo(401);
        assertThat(call("GET", "/unknown").status()).isEqualTo(401);
    }

    @Test
    void aTrailingSlashNamesTheSamePathAndNeedsTheTokenJustAsIt() {
        server.openRoute("/page", (m, p, b) -> AdminResponse.text(200, "text/html", "<p>page</p>"));
        server.bearerToken("t0k3n");

        for (String open : List.of("/health", "/health/", "/page", "/page/")) {
            assertThat(call("GET", open).status()).as(open).isEqualTo(200);
        }
        for (String closed : List.of("/api/config", "/api/config/")) {
            assertThat(call("GET", closed).status()).as(closed).isEqualTo(401);
            assertThat(server.dispatch("GET", closed, new byte[0], "Bearer t0k3n").status()).as(closed).isEqualTo(200);
        }
        AdminResponse pause = server.dispatch("POST", "/api/services/pos/replicas/cloud/pause/", new byte[0],
                "Bearer t0k3n");
        assertThat(body(pause)).contains("\"pos\"", "\"cloud\"");
        // Only one: another slash, or an empty segment, is another path, which no open route covers.
        for (String other : List.of("/health//", "//health", "/health/x", "//")) {
            assertThat(call("GET", other).status()).as(other).isEqualTo(401);
            assertThat(server.dispatch("GET", other, new byte[0], "Bearer t0k3n").status()).as(other).isEqualTo(404);
        }
    }

    @Test
    void overHttpA405CarriesAllowAndHeadHasNoBody() throws Exception {
        server.start();
        HttpClient client = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + server.localAddress().getPort();

        HttpResponse<String> refused = client.send(HttpRequest.newBuilder(URI.create(base + "/health")).DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(405);
        assertThat(refused.headers().firstValue("Allow")).hasValue("GET, HEAD");

        HttpResponse<String> head = client.send(HttpRequest.newBuilder(URI.create(base + "/health"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValue("Content-Length")).hasValue("3");
        assertThat(head.body()).isEmpty();

        HttpResponse<String> get = client.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.body()).isEqualTo("ok\n");
    }
}
