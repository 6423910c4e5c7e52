package io.outpost.journal.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/** Test access to the segment files of a journal directory. */
final class EmbeddedJournalFiles {

    private EmbeddedJournalFiles() {}

    static List<Path> segments(Path dir) {
        try {
            return EmbeddedJournal.segmentFiles(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
