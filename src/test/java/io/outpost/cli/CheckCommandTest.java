package io.outpost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CheckCommandTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int check(Path file) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        return cli.execute("check", "-c", file.toString());
    }

    @Test
    void validFileExitsZeroWithASummary() throws IOException {
        Path file = Files.writeString(dir.resolve("ok.yaml"), """
                entryPoints: { web: { address: ":8080" } }
                http:
                  routers:
                    a: { rule: "Path(`/a`)", service: s }
                    b: { rule: "Path(`/b`)", service: s }
                  services:
                    s: { loadBalancer: { endpoints: [ { url: "http://127.0.0.1:9001" } ] } }
                """);

        assertThat(check(file)).isZero();
        assertThat(out.toString()).isEqualTo("configuration OK: 2 routers, 1 services" + System.lineSeparator());
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void invalidFileExitsTwoWithEveryErrorOnStderr() throws IOException {
        Path file = Files.writeString(dir.resolve("bad.yaml"), """
                entryPoints: { web: { address: "localhost" } }
                http:
                  routers:
                    api: { rule: "Path(`/`)", service: nope }
                """);

        assertThat(check(file)).isEqualTo(2);
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString().lines()).containsExactly(
                "entryPoints.web.address: \"localhost\" is not an address (expected: host:port, for example \"127.0.0.1:8080\")",
                "http.routers.api.service: unknown service 'nope'");
    }

    @Test
    void warningsGoToStderrButTheFileIsStillValid() throws IOException {
        Path file = Files.writeString(dir.resolve("warn.yaml"), """
                entryPoints: { web: { address: ":8080" } }
                http:
                  services:
                    s: { loadBalancer: { policy: random, hashOn: clientIp, endpoints: [ { url: "http://127.0.0.1:9001" } ] } }
                """);

        assertThat(check(file)).isZero();
        assertThat(out.toString()).startsWith("configuration OK: 0 routers, 1 services");
        assertThat(err.toString().lines()).containsExactly("warning: http.services.s.loadBalancer.hashOn: "
                + "ignored: policy random does not hash (only ringHash and maglev do)");
    }

    @Test
    void missingFileIsAnErrorToo() {
        assertThat(check(dir.resolve("absent.yaml"))).isEqualTo(2);
        assertThat(err.toString()).contains("absent.yaml: cannot read the file");
    }

    @Test
    void aFileThatCannotBeReadSaysWhyInWords() throws IOException {
        assertThat(check(dir.resolve("absent.yaml"))).isEqualTo(2);
        assertThat(check(dir)).isEqualTo(2);
        Path latin1 = Files.write(dir.resolve("latin1.yaml"),
                "entryPoints: { web: { address: \":8080\" } } # caf\u00e9\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertThat(check(latin1)).isEqualTo(2);

        assertThat(err.toString().lines()).containsExactly(
                dir.resolve("absent.yaml") + ": cannot read the file: no such file",
                dir + ": cannot read the file: it is a directory",
                latin1 + ": cannot read the file: it is not UTF-8 text (byte 0xe9 at line 1, column 49)");
    }
}
