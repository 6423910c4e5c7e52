package io.outpost.tls;

import io.outpost.testing.Ports;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Let's Encrypt's test ACME server (Debian's {@code pebble} package), with its DNS companion
 * {@code pebble-challtestsrv} answering 127.0.0.1 for every name, so that validation of a real HTTP-01
 * challenge reaches the gateway on loopback. Its HTTPS listener uses a certificate made by the test.
 * A missing pebble fails the test: CI installs it in {@code .ci/run}.
 */
final class Pebble implements AutoCloseable {

    static final Path BINARY = Path.of("/usr/bin/pebble");
    static final Path DNS_BINARY = Path.of("/usr/bin/pebble-challtestsrv");

    private final List<Process> processes = new ArrayList<>();
    private final int port;
    private final Path caFile;
    private final Path log;

    private Pebble(Path dir, int httpChallengePort, boolean alwaysValid, long validitySeconds) throws Exception {
        if (!Files.isExecutable(BINARY) || !Files.isExecutable(DNS_BINARY)) {
            throw new AssertionError("pebble is not installed (" + BINARY + ", " + DNS_BINARY
                    + "): run `apt-get install -y pebble`; CI installs it in .ci/run");
        }
        Path home = Files.createDirectories(dir.resolve("pebble"));
        TestPki.Issued ca = TestPki.ca(home, "pebble-listener-ca");
        TestPki.Issued cert = TestPki.leaf(home, "pebble-listener", ca, "localhost", "127.0.0.1");
        caFile = ca.certFile();
        port = Ports.free();
        int dns = Ports.free();
        Path config = home.resolve("pebble-config.json");
        Files.writeString(config, """
                { "pebble": {
                    "listenAddress": "127.0.0.1:%d",
                    "managementListenAddress": "127.0.0.1:%d",
                    "certificate": "%s",
                    "privateKey": "%s",
                    "httpPort": %d,
                    "tlsPort": %d,
                    "ocspResponderURL": "",
                    "externalAccountBindingRequired": false%s
                } }
                """.formatted(port, Ports.free(), cert.certFile(), cert.keyFile(), httpChallengePort,
                Ports.free(),
                validitySeconds > 0 ? ",\n    \"certificateValidityPeriod\": " + validitySeconds : ""));
        log = home.resolve("pebble.log");
        start(List.of(DNS_BINARY.toString(), "-dns01", "127.0.0.1:" + dns, "-http01", "", "-https01", "",
                "-tlsalpn01", "", "-management", "127.0.0.1:" + Ports.free(),
                "-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""), Map.of(), home.resolve("challtestsrv.log"));
        start(List.of(BINARY.toString(), "-config", config.toString(), "-dnsserver", "127.0.0.1:" + dns),
                alwaysValid ? Map.of("PEBBLE_VA_ALWAYS_VALID", "1", "PEBBLE_VA_NOSLEEP", "1", "PEBBLE_WFE_NONCEREJECT", "0")
                        : Map.of("PEBBLE_VA_NOSLEEP", "1", "PEBBLE_WFE_NONCEREJECT", "0"), log);
        await("pebble listening on " + port).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                .until(() -> listening(port));
    }

    /** Starts pebble; HTTP-01 challenges are validated against {@code httpChallengePort} on 127.0.0.1. */
    static Pebble start(Path dir, int httpChallengePort, boolean alwaysValid) throws Exception {
        return new Pebble(dir, httpChallengePort, alwaysValid, 0);
    }

    /** As {@link #start(Path, int, boolean)}, issuing certificates valid for {@code validity}. */
    static Pebble start(Path dir, int httpChallengePort, boolean alwaysValid, Duration validity) throws Exception {
        return new Pebble(dir, httpChallengePort, alwaysValid, validity.toSeconds());
    }

    String directory() {
        return "https://127.0.0.1:" + port + "/dir";
    }

    /** The CA of pebble's own HTTPS certificate, for {@code caCertificates}. */
    Path listenerCa() {
        return caFile;
    }

    String log() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    private void start(List<String> command, Map<String, String> env, Path output) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
        pb.environment().putAll(env);
        processes.add(pb.start());
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            try {
                p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            p.destroyForcibly();
        }
    }
}
