package io.outpost.cli;

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

    /** The version from the jar's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"outpost " + version()};
        }
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
