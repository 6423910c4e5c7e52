package io.outpost.runtime;

import io.outpost.testing.Ports;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.config.ServiceConfig;
import io.outpost.service.LoadBalancerService;
import io.outpost.service.Service;
import io.outpost.testing.Backend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The health checks of a load-balancer service across gateway reloads: a rejected snapshot leaves
 * the running configuration's checks running, an applied one replaces them.
 */
class ReloadHealthChecksTest {

    @TempDir
    Path dir;

    private final AtomicInteger healthChecks = new AtomicInteger();
    private final AtomicInteger readyChecks = new AtomicInteger();
    private final Failing services = new Failing();
    private Backend a;
    private Backend b;
    private Gateway gateway;
    private Path file;
    private int port;
    private int adminPort;

    /** Builds like the gateway's factory, except that a service named {@code broken} fails, as a bad TLS file would. */
    private static final class Failing extends ServiceFactory {
        final List<String> built = new CopyOnWriteArrayList<>();
        final AtomicInteger failures = new AtomicInteger();

        @Override
        public Service create(String name, ServiceConfig config, BuildContext context) {
            if (name.equals("broken")) {
                failures.incrementAndGet();
                throw new IllegalStateException("service broken: cannot be built");
            }
            built.add(name);
            return super.create(name, config, context);
        }
    }

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        a.close();
        b.close();
    }

    private void start() throws Exception {
        a = Backend.start("a").on("/health", this::countHealth).on("/ready", this::countReady);
        b = Backend.start("b").on("/health", this::countHealth).on("/ready", this::countReady);
        port = Ports.free();
        adminPort = Ports.free();
        file = dir.resolve("outpost.yaml");
        write(config("/health", false));
        gateway = Gateway.start(file, new Gateway.Options(1, Clock.systemUTC(), services));
    }

    private void countHealth(com.sun.net.httpserver.HttpExchange ex) throws java.io.IOException {
        healthChecks.incrementAndGet();
        Backend.respond(ex, 200, "ok\n");
    }

    private void countReady(com.sun.net.httpserver.HttpExchange ex) throws java.io.IOException {
        readyChecks.incrementAndGet();
        Backend.respond(ex, 200, "ok\n");
    }

    /** {@code web} checked on {@code path}; with {@code broken}, a service listed after it that fails to build. */
    private String config(String path, boolean broken) throws Exception {
        String yaml = """
                entryPoints:
                  web: { address: "127.0.0.1:%d" }
                admin: { address: "127.0.0.1:%d" }
                accessLog: { enabled: false }
                http:
                  routers:
                    api: { rule: "PathPrefix(`/`)", service: web }
                  services:
                    web:
                      loadBalancer:
                        endpoints: [ { url: "%s" }, { url: "%s" } ]
                        healthCheck: { path: %s, interval: 30ms, timeout: 30ms, unhealthyThreshold: 1, healthyThreshold: 1 }
                """.formatted(port, adminPort, a.url(), b.url(), path);
        if (broken) {
            yaml += """
                        broken:
                          loadBalancer: { endpoints: [ { url: "%s" } ] }
                    """.formatted(a.url());
        }
        return yaml;
    }

    private void write(String yaml) throws Exception {
        Path tmp = dir.resolve("next.yaml");
        Files.writeString(tmp, yaml);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private LoadBalancerService web() {
        return (LoadBalancerService) gateway.runtime().services().get("web");
    }

    @Test
    void aRejectedReloadWithOtherCheckSettingsLeavesTheRunningChecksRunning() throws Exception {
        start();
        LoadBalancerService running = web();
        await().atMost(Duration.ofSeconds(3)).until(() -> healthChecks.get() >= 2);

        // web's checks change, and a service after it fails: the snapshot is rejected once web was built.
        write(config("/ready", true));
        await().atMost(Duration.ofSeconds(5)).until(() -> services.failures.get() >= 1);
        // The save is read once, though it reaches the provider as several file events: web built once more.
        assertThat(services.built).containsExactly("web", "web");
        assertThat(web()).isSameAs(running);

        b.close();
        await().atMost(Duration.ofSeconds(3)).until(() -> !running.cluster().endpoints().get(1).healthy());
        assertThat(running.cluster().priorityLoad().loads()).containsExactly(100);
        assertThat(readyChecks.get()).as("checks of the rejected configuration").isZero();
    }

    @Test
    void anAppliedReloadWithOtherCheckSettingsReplacesTheRunningChecks() throws Exception {
        start();
        LoadBalancerService first = web();
        await().atMost(Duration.ofSeconds(3)).until(() -> healthChecks.get() >= 2);

        write(config("/ready", false));
        await().atMost(Duration.ofSeconds(5)).until(() -> web() != first && readyChecks.get() >= 1);
        // The old checks stopped when the new snapshot was swapped in, before its first check.
        int stopped = healthChecks.get();
        await().atMost(Duration.ofSeconds(3)).until(() -> readyChecks.get() >= 10);
        // At most one check per endpoint may have been in flight when they stopped.
        assertThat(healthChecks.get()).isLessThanOrEqualTo(stopped + 2);

        LoadBalancerService second = web();
        b.close();
        await().atMost(Duration.ofSeconds(3)).until(() -> !second.cluster().endpoints().get(1).healthy());
    }
}
