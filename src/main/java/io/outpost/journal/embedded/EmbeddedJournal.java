package io.outpost.journal.embedded;

import io.outpost.journal.CompactionResult;
import io.outpost.journal.Entry;
import io.outpost.journal.EntryDraft;
import io.outpost.journal.Journal;
import io.outpost.journal.JournalException;
import io.outpost.journal.JournalMetrics;
import io.outpost.journal.Outcome;
import io.outpost.journal.StoredResponse;
import io.outpost.journal.embedded.GroupCommitWriter.AppendOp;
import io.outpost.journal.embedded.GroupCommitWriter.MarkOp;
import io.outpost.journal.embedded.JournalIndex.Location;
import io.outpost.journal.embedded.JournalIndex.Meta;
import io.outpost.journal.embedded.RecordCodec.AbortRec;
import io.outpost.journal.embedded.RecordCodec.CommitRec;
import io.outpost.journal.embedded.RecordCodec.EntryRec;
import io.outpost.journal.embedded.RecordCodec.OutcomeRec;
import io.outpost.journal.embedded.RecordCodec.Rec;
import io.outpost.journal.embedded.RecordCodec.ResponseRec;
import io.outpost.journal.embedded.RecordCodec.SettleRec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.stream.Stream;

/**
 * The default journal: a segmented append-only log in one directory per replicated service, written
 * with group commit and rebuilt into memory at open. It needs nothing but a local file system, which
 * is what an edge box cut off from the cloud has.
 *
 * <pre>{@code
 * try (EmbeddedJournal journal = EmbeddedJournal.open(
 *         JournalOptions.builder(journalDir.resolve("pos")).replicas("cloud", "edge").build())) {
 *     journal.recoveryReport().corruptRecords().forEach(c -> log.error("journal: {}", c));
 *     journal.inDoubt().forEach(e -> journal.commit(e.sequence()));   // the replicator's policy
 *     Entry entry = journal.append(draft).join();
 * }
 * }</pre>
 */
public final class EmbeddedJournal implements Journal {

    private static final String LOCK_FILE = "journal.lock";

    private final JournalOptions options;
    private final Clock clock;
    private final JournalIndex index;
    private final ConcurrentNavigableMap<Long, Segment> segments;
    private final JournalMetrics metrics = new JournalMetrics();
    private final GroupCommitWriter writer;
    private final RecoveryReport report;
    private final FileChannel lockChannel;
    /** {@code options.retention()} until a reload changes it. */
    private volatile Duration retention;

    private EmbeddedJournal(JournalOptions options, FileChannel lockChannel) throws IOException {
        this.options = options;
        this.clock = options.clock();
        this.lockChannel = lockChannel;
        this.retention = options.retention();
        this.index = new JournalIndex(options.replicas(), options.cacheBytes());
        this.segments = new ConcurrentSkipListMap<>();
        Recovery recovery = new Recovery(options.directory(), index, segments);
        this.report = recovery.run();
        this.writer = new GroupCommitWriter(options, index, segments, metrics, recovery.nextSequence());
        writer.start();
    }

    /**
     * Opens (or creates) the journal in {@code options.directory()}, recovering it from its segments.
     *
     * @throws JournalException when the directory cannot be used, is locked by another process, or a
     *     segment cannot be read
     */
    public static EmbeddedJournal open(JournalOptions options) {
        Path dir = options.directory();
        FileChannel lockChannel = null;
        try {
            Files.createDirectories(dir);
            lockChannel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = lockChannel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // held by another instance in this JVM
            }
            if (lock == null) {
                throw new JournalException("journal " + dir + " is in use by another process (" + LOCK_FILE + " is locked)");
            }
            return new EmbeddedJournal(options, lockChannel);
        } catch (IOException e) {
            closeQuietly(lockChannel, e);
            throw new JournalException("cannot open journal " + dir + ": " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(lockChannel, e);
            throw e;
        }
    }

    /** What recovery found when this journal opened. */
    public RecoveryReport recoveryReport() {
        return report;
    }

    @Override
    public CompletableFuture<Entry> append(EntryDraft draft) {
        CompletableFuture<Entry> future = new CompletableFuture<>();
        writer.submit(new AppendOp(draft, clock.millis(), future), future);
        return future;
    }

    @Override
    public CompletableFuture<Void> recordOutcome(long sequence, String replica, int status) {
        checkReplica(replica);
        return mark(sequence, new OutcomeRec(sequence, new Outcome(replica, status, clock.millis())));
    }

    @Override
    public CompletableFuture<Void> commit(long sequence) {
        return mark(sequence, new CommitRec(sequence, clock.millis()));
    }

    @Override
    public CompletableFuture<Void> abort(long sequence) {
        return mark(sequence, new AbortRec(sequence, clock.millis()));
    }

    @Override
    public CompletableFuture<Void> storeResponse(long sequence, StoredResponse response) {
        return mark(sequence, new ResponseRec(sequence, response));
    }

    @Override
    public CompletableFuture<Void> settle(long sequence, String replica, int status, StoredResponse response) {
        checkReplica(replica);
        return mark(sequence, new SettleRec(sequence, new Outcome(replica, status, clock.millis()), response));
    }

    private CompletableFuture<Void> mark(long sequence, Rec rec) {
        CompletableFuture<Void> future = new CompletableFuture<>();
        writer.submit(new MarkOp(sequence, rec, future), future);
        return future;
    }

    @Override
    public List<Entry> inDoubt() {
        return index.read(() -> readEntries(index.inDoubt()));
    }

    @Override
    public List<Entry> pending(String replica, String sessionKey, int max) {
        checkReplica(replica);
        if (max < 1) {
            throw new IllegalArgumentException("max: " + max + " (expected: > 0)");
        }
        return index.read(() -> readEntries(index.pending(replica, sessionKey, max)));
    }

    @Override
    public Optional<List<Entry>> pendingInMemory(String replica, String sessionKey, int max) {
        checkReplica(replica);
        if (max < 1) {
            throw new IllegalArgumentException("max: " + max + " (expected: > 0)");
        }
        return Optional.ofNullable(index.read(() -> {
            List<Meta> metas = index.pendingInMemory(replica, sessionKey, max);
            return metas == null ? null : readEntries(metas);
        }));
    }

    @Override
    public boolean hasBacklog(String replica, String sessionKey) {
        checkReplica(replica);
        return index.read(() -> index.hasBacklog(replica, sessionKey));
    }

    @Override
    public Set<String> sessionsWithBacklog(String replica) {
        checkReplica(replica);
        return index.read(() -> index.sessionsWithBacklog(replica));
    }

    @Override
    public long backlog(String replica) {
        checkReplica(replica);
        return index.read(() -> index.backlog(replica));
    }

    @Override
    public Optional<Duration> oldestPendingAge(String replica) {
        checkReplica(replica);
        OptionalLong receivedAt = index.read(() -> index.oldestPendingReceivedAt(replica));
        if (receivedAt.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(Duration.ofMillis(Math.max(0, clock.millis() - receivedAt.getAsLong())));
    }

    @Override
    public List<Outcome> outcomes(long sequence) {
        return index.read(() -> index.outcomes(sequence));
    }

    @Override
    public Optional<Entry> findByIdempotencyKey(String idempotencyKey) {
        return index.read(() -> {
            Meta meta = index.byIdempotencyKey(idempotencyKey);
            // An aborted entry was never applied and never will be: its key is free again.
            return meta == null || meta.state == JournalIndex.State.ABORTED ? Optional.empty()
                    : Optional.of(readEntry(meta));
        });
    }

    @Override
    public Optional<StoredResponse> response(String idempotencyKey) {
        return index.read(() -> {
            Meta meta = index.byIdempotencyKey(idempotencyKey);
            if (meta == null || meta.response == null) {
                return Optional.empty();
            }
            Rec rec = readRecord(meta.response);
            return Optional.of(rec instanceof SettleRec s ? s.response() : ((ResponseRec) rec).response());
        });
    }

    /** Answered from the index, which holds every live entry's key. */
    @Override
    public boolean mayKnowIdempotencyKey(String idempotencyKey) {
        return index.read(() -> {
            Meta meta = index.byIdempotencyKey(idempotencyKey);
            return meta != null && meta.state != JournalIndex.State.ABORTED;
        });
    }

    /**
     * Deletes the oldest segments whose entries are all settled for at least the retention. Stops at
     * the first segment that still holds a live entry (later segments hold records about it), and
     * never deletes the segment being written.
     */
    @Override
    public CompactionResult compact() {
        long now = clock.millis();
        long retention = this.retention.toMillis();
        int deleted = 0;
        long removed = 0;
        long bytes = 0;
        for (Map.Entry<Long, Segment> e : segments.entrySet()) {
            Map.Entry<Long, Segment> next = segments.higherEntry(e.getKey());
            if (next == null) {
                break; // the active segment
            }
            Segment segment = e.getValue();
            long end = next.getValue().baseSequence();
            long[] outcome = {-1};
            index.write(() -> {
                if (index.allSettled(segment.baseSequence(), end, now, retention)) {
                    outcome[0] = index.removeBelow(end);
                    segments.remove(segment.id());
                }
            });
            if (outcome[0] < 0) {
                break;
            }
            try {
                bytes += segment.size();
                segment.close();
                Files.delete(segment.path());
            } catch (IOException ex) {
                throw new JournalException("cannot delete compacted journal segment " + segment.path() + ": " + ex, ex);
            }
            deleted++;
            removed += outcome[0];
        }
        return deleted == 0 ? CompactionResult.NOTHING : new CompactionResult(deleted, removed, bytes);
    }

    @Override
    public Duration retention() {
        return retention;
    }

    @Override
    public void retention(Duration retention) {
        if (Objects.requireNonNull(retention, "retention").isNegative()) {
            throw new IllegalArgumentException("retention: " + retention + " (expected: >= 0)");
        }
        this.retention = retention;
    }

    @Override
    public JournalMetrics metrics() {
        return metrics;
    }

    @Override
    public Optional<String> failure() {
        return Optional.ofNullable(writer.failure());
    }

    JournalIndex index() {
        return index;
    }

    GroupCommitWriter writer() {
        return writer;
    }

    /** The directory this journal lives in. */
    public Path directory() {
        return options.directory();
    }

    @Override
    public void close() {
        try {
            writer.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        IOException failure = null;
        for (Segment s : segments.values()) {
            try {
                s.close();
            } catch (IOException e) {
                failure = e;
            }
        }
        try {
            lockChannel.close();
        } catch (IOException e) {
            failure = e;
        }
        if (failure != null) {
            throw new JournalException("closing journal " + options.directory() + ": " + failure, failure);
        }
    }

    private void checkReplica(String replica) {
        if (!index.knowsReplica(replica)) {
            throw new IllegalArgumentException("replica: \"" + replica + "\" (expected: one of "
                    + index.replicas().stream().sorted().toList() + ")");
        }
    }

    private List<Entry> readEntries(List<Meta> metas) {
        List<Entry> out = new ArrayList<>(metas.size());
        for (Meta m : metas) {
            out.add(readEntry(m));
        }
        return out;
    }

    private Entry readEntry(Meta meta) {
        Entry cached = meta.cached;
        return cached != null ? cached : ((EntryRec) readRecord(meta.location)).entry();
    }

    private Rec readRecord(Location location) {
        Segment segment = segments.get(location.segmentId());
        if (segment == null) {
            throw new JournalException("journal " + options.directory() + ": segment " + location.segmentId()
                    + " is gone (compacted)");
        }
        try {
            ByteBuffer frame = segment.read(location.offset(), location.length());
            if (RecordCodec.validFrameAt(frame, 0) != location.length()) {
                throw new JournalException(segment.path() + " at byte " + location.offset()
                        + ": record no longer passes its CRC32C check (changed on disk)");
            }
            return RecordCodec.decode(frame, 0, location.length());
        } catch (IOException e) {
            throw new JournalException("cannot read " + segment.path() + " at byte " + location.offset() + ": " + e, e);
        }
    }

    private static void closeQuietly(FileChannel channel, Exception primary) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                primary.addSuppressed(e);
            }
        }
    }

    /** Lists the segment files of a directory in order; names are zero-padded segment ids. */
    static List<Path> segmentFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(Segment.SUFFIX)).sorted().toList();
        }
    }
}
