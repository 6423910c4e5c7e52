package io.outpost.journal.embedded;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * How to open an embedded journal. The replica names are needed up front: they decide who is owed a
 * committed entry and when an entry may be compacted.
 *
 * <pre>{@code
 * JournalOptions options = JournalOptions.builder(Path.of("data/journal/pos"))
 *         .replicas("cloud", "edge")
 *         .retention(Duration.ofHours(24))
 *         .build();
 * }</pre>
 */
public record JournalOptions(
        Path directory, Set<String> replicas, Clock clock, long segmentBytes, Duration retention, int maxBatch,
        int maxQueued, long cacheBytes) {

    public JournalOptions {
        Objects.requireNonNull(directory, "directory");
        replicas = Set.copyOf(replicas);
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(retention, "retention");
        if (replicas.isEmpty()) {
            throw new IllegalArgumentException("replicas: [] (expected: at least one replica name)");
        }
        for (String r : replicas) {
            if (r.isBlank()) {
                throw new IllegalArgumentException("replicas: \"" + r + "\" (expected: a non-blank name)");
            }
        }
        if (segmentBytes < Segment.HEADER + 1) {
            throw new IllegalArgumentException("segmentBytes: " + segmentBytes + " (expected: > " + Segment.HEADER + ")");
        }
        if (retention.isNegative()) {
            throw new IllegalArgumentException("retention: " + retention + " (expected: >= 0)");
        }
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch: " + maxBatch + " (expected: > 0)");
        }
        if (maxQueued < 1) {
            throw new IllegalArgumentException("maxQueued: " + maxQueued + " (expected: > 0)");
        }
        if (cacheBytes < 0) {
            throw new IllegalArgumentException("cacheBytes: " + cacheBytes + " (expected: >= 0)");
        }
    }

    public static Builder builder(Path directory) {
        return new Builder(directory);
    }

    /** Defaults: system UTC clock, 64 MiB segments, 1 h retention, batches of up to 4096 records. */
    public static final class Builder {
        private final Path directory;
        private final Set<String> replicas = new LinkedHashSet<>();
        private Clock clock = Clock.systemUTC();
        private long segmentBytes = 64L * 1024 * 1024;
        private Duration retention = Duration.ofHours(1);
        private int maxBatch = 4096;
        private int maxQueued = 100_000;
        private long cacheBytes = 32L << 20;

        private Builder(Path directory) {
            this.directory = directory;
        }

        public Builder replicas(String... names) {
            replicas.addAll(List.of(names));
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /** A segment is closed and a new one started once it has grown past this size. */
        public Builder segmentBytes(long segmentBytes) {
            this.segmentBytes = segmentBytes;
            return this;
        }

        /** How long settled entries (and their stored responses) stay for idempotent retries. */
        public Builder retention(Duration retention) {
            this.retention = retention;
            return this;
        }

        /** The most records one fsync covers; 1 turns group commit off (one fsync per write). */
        public Builder maxBatch(int maxBatch) {
            this.maxBatch = maxBatch;
            return this;
        }

        /** Writes waiting for the writer beyond this are refused at once instead of queueing. */
        /**
         * How many bytes of entries not yet answered by every replica are kept in memory, so that
         * their deliveries read no file (default 32 MiB); entries beyond it are read back from disk.
         */
        public Builder cacheBytes(long cacheBytes) {
            this.cacheBytes = cacheBytes;
            return this;
        }

        public Builder maxQueued(int maxQueued) {
            this.maxQueued = maxQueued;
            return this;
        }

        public JournalOptions build() {
            return new JournalOptions(directory, replicas, clock, segmentBytes, retention, maxBatch, maxQueued,
                    cacheBytes);
        }
    }
}
