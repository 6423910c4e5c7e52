package io.outpost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** {@code outpost version} prints the version this build was made as, and exits 0. */
class VersionCommandTest {

    /** The project's own version, read from the build file rather than from the code under test. */
    private static String projectVersion() throws IOException {
        Matcher m = Pattern.compile("<artifactId>outpost</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(Files.readString(Path.of("pom.xml")));
        assertThat(m.find()).as("the project version in pom.xml").isTrue();
        return m.group(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"version", "--version"})
    void printsTheVersionAndExitsZero(String command) throws IOException {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));

        int exit = cli.execute(command);

        assertThat(exit).as(err.toString()).isZero();
        assertThat(out.toString()).isEqualTo("outpost " + projectVersion() + System.lineSeparator());
        assertThat(err.toString()).isEmpty();
    }
}
