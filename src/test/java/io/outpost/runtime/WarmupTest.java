package io.outpost.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Meter;
import io.netty.channel.EventLoopGroup;
import io.outpost.proxy.EntryPoint;
import io.outpost.proxy.Transport;
import io.outpost.testing.Backend;
import io.outpost.testing.Ports;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The start-up warm-up: its stopping rule, its stand-in's parsing, and a gateway that warms up before it accepts. */
class WarmupTest {

    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private EventLoopGroup loops;

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
        if (loops != null) {
            loops.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    @Test
    void aWarmUpStopsOnceTheCompilerIsQuietAfterTwoCyclesOnItsSecondListeningSocket() {
        int min = Warmup.MIN_CYCLES;
        assertThat(min).as("cycles run on the second listening socket").isEqualTo(Warmup.RELISTEN_CYCLE + 2);
        assertThat(Warmup.quiet(min - 1, 0, 1000)).as("fewer cycles are never enough").isFalse();
        assertThat(Warmup.quiet(min, 50, 1000)).isTrue();
        assertThat(Warmup.quiet(min, 51, 1000)).as("more than a twentieth of the cycle compiling").isFalse();
        assertThat(Warmup.quiet(min + 3, 400, 1000)).isFalse();
        assertThat(Warmup.quiet(min, -1, 1000)).as("a JVM that does not report compile time").isTrue();
    }

    @Test
    void everyOtherCycleOnTheSecondListeningSocketOpensAsManyConnectionsAsALoadGenerator() {
        List<Integer> connections = new ArrayList<>();
        for (int done = 0; done < Warmup.MIN_CYCLES + 2; done++) {
            connections.add(Warmup.connections(done));
        }
        int few = Warmup.CONNECTIONS;
        int many = Warmup.WIDE_CONNECTIONS;
        assertThat(connections).as("by cycle, from the first; the socket changes before the fourth")
                .containsExactly(few, few, few, few, many, few, many);
        assertThat(connections.subList(0, Warmup.MIN_CYCLES)).as("the shortest warm-up").contains(many);
    }

    @Test
    void theStandInFindsRequestHeadsSplitAnywhere() {
        byte[] heads = "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\n\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        int matched = 0;
        int found = 0;
        for (byte b : heads) {
            matched = Warmup.StandIn.advance(matched, b);
            if (matched == 4) {
                found++;
                matched = 0;
            }
        }
        assertThat(found).as("two heads; a stray CR LF after them is no third").isEqualTo(2);
        assertThat(Warmup.StandIn.advance(3, (byte) '\r')).as("CR LF CR CR restarts at the second CR").isEqualTo(1);
    }

    @Test
    void theClientReadsResponsesWhateverTheReadSizesAndRefusesAnythingButOk() throws IOException {
        String two = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        Warmup.ResponseReader reader = new Warmup.ResponseReader(oneByteAtATime(two));
        reader.readResponse();
        reader.readResponse();
        assertThatThrownBy(reader::readResponse).hasMessageContaining("closed");

        Warmup.ResponseReader refused = new Warmup.ResponseReader(
                new ByteArrayInputStream("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
        assertThatThrownBy(refused::readResponse).hasMessageContaining("502 Bad Gateway");
    }

    @Test
    void requestsGoThroughTheProxyPathAndAQuietCompilerEndsTheWarmUp() throws Exception {
        AtomicLong compiled = new AtomicLong();
        Warmup.Report report = warmup(entryPointOn(), compiled::get).run(Duration.ofSeconds(30));

        assertThat(report.outcome()).as("requests answered after the listening socket changed")
                .isEqualTo("the JIT compiler is quiet");
        assertThat(report.cycles()).isEqualTo(Warmup.MIN_CYCLES);
        assertThat(report.requests()).isPositive();
    }

    @Test
    void aCompilerThatKeepsCompilingRunsTheWarmUpToItsBudget() throws Exception {
        AtomicLong compiled = new AtomicLong();
        Warmup.Report report = warmup(entryPointOn(), () -> compiled.addAndGet(500)).run(Duration.ofMillis(2500));

        assertThat(report.outcome()).startsWith("its budget of 2500 ms is spent");
        assertThat(report.took()).isGreaterThanOrEqualTo(Duration.ofMillis(2500));
    }

    @Test
    void aWarmUpThatCannotStartIsReportedAndNeverThrows() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Warmup.Report report = warmup(address -> new EntryPoint(Warmup.ENTRY_POINT,
                    (InetSocketAddress) taken.getLocalSocketAddress(), 60_000), () -> 0).run(Duration.ofSeconds(5));

            assertThat(report.outcome()).startsWith("it failed");
            assertThat(report.requests()).isZero();
        }
    }

    @Test
    void aGatewayWarmsUpBeforeItAcceptsAndLeavesNoTraceOfIt() throws Exception {
        try (Backend backend = Backend.start("blue")) {
            int port = Ports.free();
            int admin = Ports.free();
            Path accessLog = dir.resolve("access.log");
            Path file = Files.writeString(dir.resolve("outpost.yaml"), """
                    entryPoints:
                      web: { address: "127.0.0.1:%d" }
                    admin: { address: "127.0.0.1:%d" }
                    accessLog: { path: "%s" }
                    http:
                      routers:
                        all: { rule: "PathPrefix(`/`)", service: blue }
                      services:
                        blue:
                          loadBalancer: { endpoints: [ { url: "%s" } ] }
                    """.formatted(port, admin, accessLog, backend.url()));
            CompletableFuture<Gateway> starting = CompletableFuture.supplyAsync(() -> {
                try {
                    return Gateway.start(file, Gateway.Options.defaults().workers(1).warmup(Duration.ofSeconds(4)));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> {
                HttpResponse<String> ready = get(admin, "/ready");
                return ready.statusCode() == 503 && ready.body().contains("warming up");
            });
            assertThat(get(admin, "/health").statusCode()).isEqualTo(200);

            try (Gateway gateway = starting.get(30, java.util.concurrent.TimeUnit.SECONDS)) {
                assertThat(gateway.warmup().requests()).isPositive();
                assertThat(get(admin, "/ready").statusCode()).isEqualTo(200);
                HttpResponse<String> proxied = get(port, "/hello");
                assertThat(proxied.statusCode()).isEqualTo(200);
                assertThat(proxied.body()).contains("blue");

                List<String> warmupMeters = gateway.metrics().getMeters().stream().map(Meter::getId)
                        .filter(id -> id.getTags().stream().anyMatch(t -> t.getValue().equals(Warmup.ENTRY_POINT)
                                || t.getValue().equals("standIn")))
                        .map(Object::toString).toList();
                assertThat(warmupMeters).isEmpty();
                assertThat(get(admin, "/metrics").body()).contains("entrypoint=\"web\"").doesNotContain("warmup");
                await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                        assertThat(Files.readAllLines(accessLog)).hasSize(1).allMatch(l -> l.contains("/hello")));
                await().atMost(Duration.ofSeconds(5)).until(() -> Thread.getAllStackTraces().keySet().stream()
                        .noneMatch(t -> t.getName().startsWith("outpost-warmup")));
            }
        }
    }

    private Warmup warmup(java.util.function.Function<InetSocketAddress, EntryPoint> entryPoint,
                          java.util.function.LongSupplier compileMillis) {
        loops = Transport.best().newGroup(1, "warmup-test-loop");
        return new Warmup(loops, Transport.best(), new ServiceFactory(), scheduler, Clock.systemUTC(),
                dir.resolve("journal"), UnaryOperator.identity(), entryPoint, compileMillis, System::nanoTime);
    }

    private static java.util.function.Function<InetSocketAddress, EntryPoint> entryPointOn() {
        return address -> new EntryPoint(Warmup.ENTRY_POINT, address, 60_000);
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static InputStream oneByteAtATime(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        return new InputStream() {
            private int at;

            @Override
            public int read() {
                return at < bytes.length ? bytes[at++] & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (at == bytes.length) {
                    return -1;
                }
                b[off] = bytes[at++];
                return 1;
            }
        };
    }
}
