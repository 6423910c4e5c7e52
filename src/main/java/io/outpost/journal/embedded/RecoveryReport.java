package io.outpost.journal.embedded;

import java.util.List;

/**
 * What opening the journal found: how much it read, the torn tail it cut off (the unacknowledged end
 * of a write interrupted by a crash) and any corrupt records it quarantined.
 */
public record RecoveryReport(
        int segments, long records, long entries, long tornTailBytes, List<CorruptRecord> corruptRecords,
        int inDoubt) {

    public RecoveryReport {
        corruptRecords = List.copyOf(corruptRecords);
    }

    public boolean clean() {
        return tornTailBytes == 0 && corruptRecords.isEmpty();
    }
}
