package io.outpost.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.runtime.Gateway;
import io.outpost.testing.Ports;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dashboard page on a running gateway whose admin server demands a token. */
class DashboardTest {

    private static final Set<String> API_PATHS = Set.of("/api/routers", "/api/services", "/api/entrypoints", "/ready");

    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER).build();
    private Gateway gateway;
    private int adminPort;

    @BeforeEach
    void start() throws Exception {
        adminPort = Ports.free();
        Path file = dir.resolve("outpost.yaml");
        Files.writeString(file, """
                entryPoints:
                  web: { address: "127.0.0.1:%d" }
                admin: { address: "127.0.0.1:%d", auth: { token: "s3cret-token" } }
                accessLog: { enabled: false }
                http:
                  routers:
                    all: { rule: "PathPrefix(`/`)", service: app }
                  services:
                    app:
                      loadBalancer: { endpoints: [ { url: "http://127.0.0.1:9" } ] }
                """.formatted(Ports.free(), adminPort));
        gateway = Gateway.start(file, Gateway.Options.defaults().workers(1));
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    private HttpResponse<String> admin(String method, String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void thePageIsServedWithoutTheTokenAsHtmlThatNothingCachesAndOnlyItsOwnScriptRuns() throws Exception {
        HttpResponse<String> page = admin("GET", "/dashboard", null);

        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(page.headers().firstValue("Cache-Control")).hasValue("no-store");
        assertThat(page.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        String csp = page.headers().firstValue("Content-Security-Policy").orElseThrow();
        assertThat(csp).startsWith("default-src 'self';")
                .contains("script-src '" + sha256(between(page.body(), "<script>", "</script>")) + "'")
                .contains("style-src '" + sha256(between(page.body(), "<style>", "</style>")) + "'")
                .contains("frame-ancestors 'none'")
                .doesNotContain("unsafe-inline", "unsafe-eval", "*");
        assertThat(page.body()).startsWith("<!DOCTYPE html>");

        HttpResponse<String> head = admin("HEAD", "/dashboard", null);
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(admin("POST", "/dashboard", null).statusCode()).isEqualTo(405);
    }

    @Test
    void thePageLoadsNothingFromElsewhereAndCallsOnlyTheAdminApi() throws Exception {
        String body = admin("GET", "/dashboard", null).body();

        assertThat(body).doesNotContain("://", "src=", "href=", "<link", "@import", "url(", "innerHTML",
                "insertAdjacentHTML", "document.write", "eval(");
        Set<String> paths = new TreeSet<>();
        Matcher m = Pattern.compile("'(/[^']*)'").matcher(body);
        while (m.find()) {
            paths.add(m.group(1));
        }
        assertThat(paths).isEqualTo(new TreeSet<>(API_PATHS));
    }

    @Test
    void theRootRedirectsToTheDashboard() throws Exception {
        HttpResponse<String> root = admin("GET", "/", null);

        assertThat(root.statusCode()).isEqualTo(302);
        assertThat(root.headers().firstValue("Location")).hasValue("/dashboard");
    }

    @Test
    void theApiCallsOfThePageStillNeedTheToken() throws Exception {
        for (String path : API_PATHS) {
            if (path.equals("/ready")) {
                assertThat(admin("GET", path, null).statusCode()).as(path).isEqualTo(200);
                continue;
            }
            assertThat(admin("GET", path, null).statusCode()).as(path).isEqualTo(401);
            assertThat(admin("GET", path, "wrong").statusCode()).as(path).isEqualTo(401);
            HttpResponse<String> ok = admin("GET", path, "s3cret-token");
            assertThat(ok.statusCode()).as(path).isEqualTo(200);
            assertThat(ok.headers().firstValue("Content-Type")).as(path).hasValue("application/json");
        }
    }

    @Test
    void healthReadyAndThePageAreOpenWithOrWithoutATrailingSlash() throws Exception {
        for (String path : List.of("/health", "/health/", "/ready", "/ready/", "/dashboard", "/dashboard/")) {
            assertThat(admin("GET", path, null).statusCode()).as(path).isEqualTo(200);
            assertThat(admin("HEAD", path, null).statusCode()).as(path).isEqualTo(200);
        }
        assertThat(admin("GET", "/health/", null).body()).isEqualTo("ok\n");
    }

    @Test
    void everyOtherPathNeedsTheTokenWithOrWithoutATrailingSlash() throws Exception {
        for (String path : List.of("/api/routers", "/api/routers/", "/api/services/app", "/api/services/app/",
                "/metrics", "/metrics/")) {
            assertThat(admin("GET", path, null).statusCode()).as(path).isEqualTo(401);
            assertThat(admin("GET", path, "s3cret-token").statusCode()).as(path).isEqualTo(200);
        }
        // One trailing slash is the same path; more make another one, which an open path does not cover.
        for (String path : List.of("/health//", "/ready//", "/dashboard//", "/health/x")) {
            assertThat(admin("GET", path, null).statusCode()).as(path).isEqualTo(401);
            assertThat(admin("GET", path, "s3cret-token").statusCode()).as(path).isEqualTo(404);
        }
    }

    private static String between(String text, String open, String close) {
        return text.substring(text.indexOf(open) + open.length(), text.indexOf(close));
    }

    private static String sha256(String text) throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        return "sha256-" + Base64.getEncoder().encodeToString(digest);
    }
}
