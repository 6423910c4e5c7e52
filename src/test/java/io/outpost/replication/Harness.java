package io.outpost.replication;

import io.outpost.testing.Ports;
import io.outpost.runtime.Gateway;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLContext;

/** A gateway on loopback with a replicated service {@code pos} over two test replicas, cloud and edge. */
final class Harness implements AutoCloseable {

    final ReplicaServer cloud;
    final ReplicaServer edge;
    final Path dir;
    final Path file;
    final int port;
    final int adminPort;
    final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    /** Where the configuration sends each replica's deliveries; change before {@link #start}. */
    String cloudUrl;
    String edgeUrl;
    Gateway gateway;
    /** How {@link #start} runs the gateway; change before it. */
    Gateway.Options options = Gateway.Options.defaults().workers(2);

    Harness(Path dir) throws Exception {
        this(dir, null);
    }

    /** With {@code cloudTls} set, the cloud replica speaks https with its certificate. */
    Harness(Path dir, SSLContext cloudTls) throws Exception {
        this.dir = dir;
        this.cloud = cloudTls == null ? ReplicaServer.start("cloud") : ReplicaServer.startTls("cloud", cloudTls);
        this.edge = ReplicaServer.start("edge");
        this.port = Ports.free();
        this.adminPort = Ports.free();
        this.file = dir.resolve("outpost.yaml");
        this.cloudUrl = cloud.url();
        this.edgeUrl = edge.url();
    }

    String yaml(String extra) {
        return """
                entryPoints:
                  web: { address: "127.0.0.1:%d" }
                admin: { address: "127.0.0.1:%d" }
                journal: { dir: "%s" }
                http:
                  routers:
                    pos: { rule: "PathPrefix(`/`)", service: pos }
                  services:
                    pos:
                      replicated:
                        sessionKey: "header:X-Till"
                        replicas:
                          cloud: { priority: 0, endpoints: ["%s"] }
                          edge: { priority: 1, endpoints: ["%s"] }
                        timeouts: { connect: 500ms, responseHeader: 700ms }
                %s""".formatted(port, adminPort, dir.resolve("journal"), cloudUrl, edgeUrl, extra);
    }

    Harness start() throws Exception {
        return start("");
    }

    Harness start(String extra) throws Exception {
        Files.writeString(file, yaml(extra));
        gateway = Gateway.start(file, options);
        return this;
    }

    HttpResponse<String> post(String session, String path, String body, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofString(body));
        if (session != null) {
            b.header("X-Till", session);
        }
        if (key != null) {
            b.header("Idempotency-Key", key);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String session, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(20)).header("X-Till", session).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> admin(String method, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** {@code GET /api/services/pos}, parsed. */
    com.fasterxml.jackson.databind.JsonNode service() throws Exception {
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(admin("GET", "/api/services/pos").body());
    }

    com.fasterxml.jackson.databind.JsonNode replica(String name) throws Exception {
        for (var r : service().get("replicas")) {
            if (r.get("name").asText().equals(name)) {
                return r;
            }
        }
        throw new AssertionError("no replica " + name);
    }


    @Override
    public void close() {
        if (gateway != null) {
            gateway.close();
        }
        cloud.close();
        edge.close();
    }
}
