package io.outpost.cli;

import io.outpost.testing.Ports;
import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.tls.TestPki;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code run} that cannot start says why in plain lines and exits non-zero; it never prints a stack trace. */
class RunCommandTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(Path file) {
        return run(file, "0");
    }

    private int run(Path file, String warmup) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        return cli.execute("run", "-c", file.toString(), "--workers", "1", "--warmup", warmup);
    }

    @Test
    void aWarmUpThatIsNoDurationIsRefusedWithExitTwo() throws Exception {
        Path file = Files.writeString(dir.resolve("outpost.yaml"), """
                entryPoints: { web: { address: "127.0.0.1:%d" } }
                """.formatted(Ports.free()));

        assertThat(run(file, "10")).isEqualTo(2);
        assertThat(err.toString()).startsWith("--warmup: \"10\" has no unit");
    }

    @Test
    void aPortInUseIsOneLineAndExitOneBeforeAnyWarmUp() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Path file = Files.writeString(dir.resolve("outpost.yaml"), """
                    entryPoints: { web: { address: "127.0.0.1:%d" } }
                    admin: { address: "127.0.0.1:%d" }
                    accessLog: { enabled: false }
                    """.formatted(taken.getLocalPort(), Ports.free()));

            ch.qos.logback.classic.Logger proxyLog =
                    (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(io.outpost.proxy.ProxyServer.class);
            ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged =
                    new ch.qos.logback.core.read.ListAppender<>();
            logged.start();
            proxyLog.addAppender(logged);
            try {
                assertThat(run(file, "10m")).isEqualTo(1);
            } finally {
                proxyLog.detachAppender(logged);
            }
            // The warm-up's own entry point would have been announced had it run before the failed bind.
            assertThat(logged.list).extracting(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
                    .noneMatch(m -> m.contains("entry point warmup"));
        }
        assertThat(err.toString().lines()).singleElement().asString()
                .startsWith("outpost: the gateway did not start: ").contains("Address already in use");
    }

    @Test
    void aKeyThatDoesNotBelongToItsCertificateIsAnInvalidConfiguration() throws Exception {
        TestPki.Issued ca = TestPki.ca(dir, "ca");
        TestPki.Issued site = TestPki.leaf(dir, "site", ca, "site.test");
        TestPki.Issued other = TestPki.leaf(dir, "other", ca, "other.test");
        Path file = Files.writeString(dir.resolve("outpost.yaml"), """
                entryPoints:
                  websecure:
                    address: "127.0.0.1:%d"
                    tls: { certificates: [ { certFile: "%s", keyFile: "%s" } ] }
                admin: { address: "127.0.0.1:%d" }
                accessLog: { enabled: false }
                """.formatted(Ports.free(), site.certFile(), other.keyFile(), Ports.free()));

        assertThat(run(file)).isEqualTo(2);
        assertThat(err.toString().lines()).containsExactly(file + ": invalid configuration",
                "  entryPoints.websecure.tls.certificates[0].keyFile: does not belong to the certificate in certFile ("
                        + site.certFile() + ", CN=site.test)");
    }

    @Test
    void aSnapshotThatCannotBeBuiltSaysWhyInOneLine() throws Exception {
        Path file = Files.writeString(dir.resolve("outpost.yaml"), """
                entryPoints: { web: { address: "127.0.0.1:%d" } }
                admin: { address: "127.0.0.1:%d" }
                accessLog: { enabled: false }
                http:
                  middlewares:
                    auth: { jwt: { secretEnv: OUTPOST_UNSET_JWT_SECRET_FOR_RUN_TEST } }
                """.formatted(Ports.free(), Ports.free()));

        assertThat(run(file)).isEqualTo(1);
        assertThat(err.toString().lines()).containsExactly("outpost: the gateway did not start: configuration could not "
                + "be applied: middleware auth: secretEnv: environment variable OUTPOST_UNSET_JWT_SECRET_FOR_RUN_TEST is not set");
    }

}
