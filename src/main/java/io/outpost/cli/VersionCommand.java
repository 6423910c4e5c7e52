package io.outpost.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code outpost version}: the same line as {@code outpost --version}, on the command line's output. */
@Command(name = "version", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Print the version.")
final class VersionCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().getOut().println("outpost " + Main.version());
        spec.commandLine().getOut().flush();
    }
}
