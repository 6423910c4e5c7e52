package io.outpost.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code outpost} command line: run, check, demo and version. */
@Command(name = "outpost", mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Edge/cloud API gateway for stateful microservices.",
        subcommands = {RunCommand.class, CheckCommand.class, DemoCommand.class, VersionCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** What {@code --version} prints. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"outpost " + version()};
        }
    }

    /**
     * The version the build stamped into {@code version.properties}; unlike the jar's manifest, it is
     * there however the classes are run.
     */
    static String version() {
        try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "dev");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the version", e);
        }
    }
}
