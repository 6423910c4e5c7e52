package io.outpost.cli;

import io.outpost.testing.Ports;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.outpost.testing.Backend;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGTERM stops accepting, lets the request in flight finish, and exits 0. */
class GracefulShutdownTest {

    @TempDir
    Path dir;

    @Test
    void sigtermDrainsInFlightRequestsAndExitsZero() throws Exception {
        CountDownLatch arrived = new CountDownLatch(1);
        try (Backend backend = Backend.start("slow")) {
            backend.on("/slow", ex -> {
                arrived.countDown();
                try {
                    Thread.sleep(1500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                Backend.respond(ex, 200, "finished\n");
            });
            int port = Ports.free();
            Path config = dir.resolve("outpost.yaml");
            Files.writeString(config, """
                    entryPoints:
                      web: { address: "127.0.0.1:%d", graceTimeout: 10s }
                    admin: { address: "127.0.0.1:%d" }
                    accessLog: { enabled: false }
                    http:
                      routers:
                        all: { rule: "PathPrefix(`/`)", service: slow }
                      services:
                        slow:
                          loadBalancer: { endpoints: [ { url: "%s" } ] }
                    """.formatted(port, Ports.free(), backend.url()));
            Process gateway = new ProcessBuilder(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), Main.class.getName(), "run", "-c", config.toString(), "--warmup", "0"))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("gateway.log").toFile()).start();
            try {
                await().atMost(Duration.ofSeconds(20)).until(() -> canConnect(port));
                HttpClient client = HttpClient.newHttpClient();
                CompletableFuture<HttpResponse<String>> inFlight = client.sendAsync(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/slow")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();

                gateway.destroy(); // SIGTERM

                await().atMost(Duration.ofSeconds(5)).until(() -> !canConnect(port));
                HttpResponse<String> response = inFlight.get(10, TimeUnit.SECONDS);
                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(response.body()).isEqualTo("finished\n");
                assertThat(gateway.waitFor(10, TimeUnit.SECONDS)).isTrue();
                assertThat(gateway.exitValue()).as(Files.readString(dir.resolve("gateway.log"))).isZero();
                assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(ConnectException.class);
            } finally {
                gateway.destroyForcibly();
            }
        }
    }

    private static boolean canConnect(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

}
