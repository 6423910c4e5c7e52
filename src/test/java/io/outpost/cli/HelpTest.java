package io.outpost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** Every command answers {@code --help} with its usage and exit 0, whatever options it requires. */
class HelpTest {

    @ParameterizedTest
    @ValueSource(strings = {"run", "check", "demo", "version"})
    void everyCommandPrintsItsUsage(String command) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));

        int exit = cli.execute(command, "--help");

        assertThat(exit).as(err.toString()).isZero();
        assertThat(out.toString()).startsWith("Usage: outpost " + command).contains("--help");
    }
}
