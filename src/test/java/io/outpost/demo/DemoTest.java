package io.outpost.demo;

import static io.outpost.demo.Clients.get;
import static io.outpost.demo.Clients.json;
import static io.outpost.demo.Clients.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.config.ConfigLoader;
import io.outpost.config.RuleChecker;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Orchestration with a stand-in gateway: what starts, where the configuration goes, what stops, what --fresh deletes. */
class DemoTest {

    @TempDir
    Path dir;

    private Demo.Settings settings(boolean fresh) {
        return new Demo.Settings(dir, fresh, new DemoPorts(18080, 18081, 0, 0, 0, 0));
    }

    @Test
    void startsReplicasAndLinkWritesTheConfigurationAndStopsEverything() throws Exception {
        List<Path> launchedWith = new ArrayList<>();
        AtomicBoolean gatewayClosed = new AtomicBoolean();
        Demo demo = Demo.start(settings(false), file -> {
            launchedWith.add(file);
            return () -> gatewayClosed.set(true);
        });
        DemoPorts ports = demo.ports();
        List<InetSocketAddress> listening;
        try {
            assertThat(launchedWith).containsExactly(dir.resolve(DemoConfig.FILE));
            assertThat(new ConfigLoader(RuleChecker.installed()).load(demo.configFile()).errors()).isEmpty();
            assertThat(Files.readString(demo.configFile())).isEqualTo(DemoConfig.yaml(ports, dir));
            assertThat(ports.link()).isEqualTo(demo.link().address().getPort()).isNotZero();
            assertThat(demo.guide()).contains("127.0.0.1:" + ports.control() + "/link/down");

            // The link leads to the cloud replica, not to the edge one.
            post(Clients.url(demo.link().address(), "/pos/sales"), "{\"item\":\"apple\",\"qty\":1}", "X-Till", "t");
            assertThat(json(get("http://127.0.0.1:" + ports.cloud() + "/pos/sales")).get("count").asInt()).isEqualTo(1);
            assertThat(json(get("http://127.0.0.1:" + ports.edge() + "/pos/sales")).get("count").asInt()).isZero();
            assertThat(dir.resolve("cloud").resolve(SaleStore.FILE)).exists();
            assertThat(dir.resolve("edge")).isDirectory();
            listening = List.of(demo.link().address(), demo.link().controlAddress(), demo.cloud().address(),
                    demo.edge().address());
        } finally {
            demo.close();
        }
        assertThat(gatewayClosed).isTrue();
        for (InetSocketAddress address : listening) {
            assertThatThrownBy(() -> new Socket(address.getAddress(), address.getPort()).close())
                    .as("%s still listening", address).isInstanceOf(ConnectException.class);
        }
    }

    @Test
    void aGatewayThatFailsToStartLeavesNothingRunning() {
        List<InetSocketAddress> listening = new ArrayList<>();
        assertThatThrownBy(() -> Demo.start(settings(false), file -> {
            listening.add(loopback(Files.readString(file), "cloud"));
            listening.add(loopback(Files.readString(file), "edge"));
            throw new UnsupportedOperationException("service pos: replicated is not supported yet");
        })).hasMessageContaining("not supported yet");

        assertThat(listening).hasSize(2);
        for (InetSocketAddress address : listening) {
            assertThatThrownBy(() -> new Socket(address.getAddress(), address.getPort()).close())
                    .as("%s still listening", address).isInstanceOf(ConnectException.class);
        }
    }

    @Test
    void aSecondDemoOnTheSameDataDirectoryIsRefusedBeforeItTouchesTheRunningOnesFiles() throws Exception {
        try (Demo running = Demo.start(settings(false), file -> () -> { })) {
            post(Clients.url(running.edge().address(), "/pos/sales"), "{\"item\":\"apple\",\"qty\":1}", "X-Till", "t");
            String config = Files.readString(running.configFile());
            List<Path> launched = new ArrayList<>();

            // What the hint after a port clash leads to: other ports, same (default) data directory; even --fresh.
            for (boolean fresh : List.of(false, true)) {
                assertThatThrownBy(() -> Demo.start(new Demo.Settings(dir, fresh, new DemoPorts(18090, 18091, 0, 0, 0, 0)),
                        file -> {
                            launched.add(file);
                            return () -> { };
                        }).close()).isInstanceOf(java.io.IOException.class).hasMessageContaining("in use by another demo");
            }

            assertThat(launched).isEmpty();
            assertThat(running.configFile()).hasContent(config);   // its gateway would reload a rewritten one
            assertThat(Files.readAllLines(dir.resolve("edge").resolve(SaleStore.FILE))).hasSize(1);
            post(Clients.url(running.edge().address(), "/pos/sales"), "{\"item\":\"pear\",\"qty\":1}", "X-Till", "t");
            assertThat(json(get("http://127.0.0.1:" + running.ports().edge() + "/pos/sales")).get("count").asInt())
                    .isEqualTo(2);
        }
        try (Demo next = Demo.start(settings(false), file -> () -> { })) {   // free again once stopped
            assertThat(next.edge().sales()).extracting(Sale::item).containsExactly("apple", "pear");
        }
    }

    /** The address of replica {@code name} in a generated configuration. */
    private static InetSocketAddress loopback(String yaml, String name) {
        String line = yaml.lines().filter(l -> l.trim().startsWith(name + ":")).findFirst().orElseThrow();
        String port = line.replaceAll(".*http://127\\.0\\.0\\.1:(\\d+).*", "$1");
        return new InetSocketAddress("127.0.0.1", Integer.parseInt(port));
    }

    @Test
    void salesSurviveARestartAndFreshDeletesOnlyWhatTheDemoWrote() throws Exception {
        Path unrelated = Files.writeString(dir.resolve("notes.txt"), "keep me");
        try (Demo demo = Demo.start(settings(false), file -> () -> { })) {
            post(Clients.url(demo.edge().address(), "/pos/sales"), "{\"item\":\"apple\",\"qty\":1}", "X-Till", "t");
        }
        try (Demo demo = Demo.start(settings(false), file -> () -> { })) {
            assertThat(demo.edge().sales()).hasSize(1);
        }
        Files.createDirectories(dir.resolve("journal"));
        Files.writeString(dir.resolve("journal").resolve("segment-0"), "x");
        Files.writeString(dir.resolve("access.log"), "x");

        try (Demo demo = Demo.start(settings(true), file -> () -> { })) {
            assertThat(demo.edge().sales()).isEmpty();
            assertThat(demo.cloud().sales()).isEmpty();
        }
        assertThat(dir.resolve("journal")).doesNotExist();
        assertThat(dir.resolve("access.log")).doesNotExist();
        assertThat(unrelated).hasContent("keep me");
    }
}
