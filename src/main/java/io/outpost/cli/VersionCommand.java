package io.outpost.cli;

import picocli.CommandLine.Command;

@Command(name = "version", description = "Print the version.")
final class VersionCommand implements Runnable {
    @Override
    public void run() {
        System.out.println("outpost " + Main.version());
    }
}
