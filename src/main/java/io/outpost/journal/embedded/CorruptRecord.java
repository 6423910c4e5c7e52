package io.outpost.journal.embedded;

import java.nio.file.Path;

/**
 * Bytes in the middle of the log that did not form a valid record (CRC mismatch, impossible length,
 * unparsable body). Recovery copies them to {@code quarantine} beside the segment, reports them here
 * and resumes at the next valid record, so one bad sector costs only the records it touched.
 *
 * @param segment the segment file
 * @param offset the byte offset of the bad region in that file
 * @param length the length of the bad region
 * @param reason what was wrong at {@code offset}
 * @param quarantine the file holding a copy of the bad bytes
 */
public record CorruptRecord(Path segment, long offset, long length, String reason, Path quarantine) {

    @Override
    public String toString() {
        return segment + " at byte " + offset + " (" + length + " bytes): " + reason + "; quarantined to " + quarantine;
    }
}
