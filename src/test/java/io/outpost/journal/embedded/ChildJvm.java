package io.outpost.journal.embedded;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A child JVM on the test class path whose stdout lines are collected as they arrive. */
final class ChildJvm {

    final Process process;
    final List<String> lines = new CopyOnWriteArrayList<>();
    private final Thread reader;

    private ChildJvm(Process process) {
        this.process = process;
        this.reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    lines.add(line);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, "child-stdout");
        reader.start();
    }

    /**
     * Starts {@code mainClass} with {@code args}; {@code shellPrefix} (for example {@code "ulimit -f 64"})
     * runs in a bash that then execs the JVM, for limits Java cannot set on itself.
     */
    static ChildJvm start(String shellPrefix, Class<?> mainClass, Path stderr, String... args) throws IOException {
        List<String> java = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), mainClass.getName()));
        java.addAll(List.of(args));
        List<String> command = java;
        if (shellPrefix != null) {
            command = List.of("bash", "-c", shellPrefix + " && exec \"$@\"", "child");
            command = new ArrayList<>(command);
            command.addAll(java);
        }
        Process p = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        return new ChildJvm(p);
    }

    /** Waits for the child to end and for its last line to be read. */
    int awaitExit() throws InterruptedException {
        int code = process.waitFor();
        reader.join(10_000);
        return code;
    }
}
