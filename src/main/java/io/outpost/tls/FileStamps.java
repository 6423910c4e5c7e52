package io.outpost.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * Change detection for a fixed set of files by modification time and size: cheap enough to poll
 * every few seconds, and no watch service (which misses changes on some file systems and through
 * symbolic links, as Kubernetes secrets use).
 */
final class FileStamps {

    /** What the files looked like at one moment; a missing file has a stamp too. */
    record Snapshot(List<String> stamps) {}

    private final List<Path> paths;
    private Snapshot loaded;

    FileStamps(List<Path> paths) {
        this.paths = List.copyOf(paths);
    }

    Snapshot snapshot() {
        List<String> stamps = new ArrayList<>(paths.size());
        for (Path p : paths) {
            try {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                stamps.add(a.lastModifiedTime().toInstant() + "/" + a.size() + "/" + a.fileKey());
            } catch (IOException e) {
                stamps.add("missing");
            }
        }
        return new Snapshot(stamps);
    }

    boolean changedSince(Snapshot now) {
        return !now.equals(loaded);
    }

    void loaded(Snapshot snapshot) {
        loaded = snapshot;
    }
}
