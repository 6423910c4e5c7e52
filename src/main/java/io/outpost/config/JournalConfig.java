package io.outpost.config;

import java.nio.file.Path;
import java.util.Objects;

/** Where the embedded journal of replicated writes lives. */
public record JournalConfig(Path dir) {

    public static final JournalConfig DEFAULT = new JournalConfig(Path.of("data/journal"));

    public JournalConfig {
        Objects.requireNonNull(dir, "dir");
    }
}
