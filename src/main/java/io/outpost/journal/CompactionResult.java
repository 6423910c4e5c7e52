package io.outpost.journal;

/** What one compaction pass reclaimed. */
public record CompactionResult(int segmentsDeleted, long entriesRemoved, long bytesReclaimed) {

    public static final CompactionResult NOTHING = new CompactionResult(0, 0, 0);
}
