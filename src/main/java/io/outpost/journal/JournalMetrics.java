package io.outpost.journal;

import java.util.concurrent.atomic.LongAdder;

/**
 * Monotonic counters of a journal's write path. Plain getters, so that the gateway can bind them to
 * Micrometer function counters without the journal depending on a registry.
 */
public final class JournalMetrics {

    private final LongAdder appends = new LongAdder();
    private final LongAdder records = new LongAdder();
    private final LongAdder fsyncs = new LongAdder();
    private final LongAdder bytesWritten = new LongAdder();
    private final LongAdder failedWrites = new LongAdder();

    /** Entries made durable. */
    public long appends() {
        return appends.sum();
    }

    /** Records of every kind (entries, outcomes, commits, aborts, responses) made durable. */
    public long records() {
        return records.sum();
    }

    /** Calls to fsync that ended a batch; {@code appends / fsyncs} is the group-commit factor. */
    public long fsyncs() {
        return fsyncs.sum();
    }

    public long bytesWritten() {
        return bytesWritten.sum();
    }

    /**
     * Writes whose future failed because the batch could not be made durable (or was, but could not be applied:
     * then its records count among the durable ones too), or because the journal takes no more writes until it is
     * reopened ({@link Journal#failure}).
     */
    public long failedWrites() {
        return failedWrites.sum();
    }

    /** Called by an implementation once a batch is durable. */
    public void batchDurable(int entries, int recordCount, long bytes) {
        appends.add(entries);
        records.add(recordCount);
        fsyncs.increment();
        bytesWritten.add(bytes);
    }

    /** Called by an implementation when a batch failed, or writes were refused for a {@link Journal#failure}. */
    public void batchFailed(int recordCount) {
        failedWrites.add(recordCount);
    }
}
