package io.outpost.journal.embedded;

import io.outpost.journal.DuplicateIdempotencyKeyException;
import io.outpost.journal.Entry;
import io.outpost.journal.EntryDraft;
import io.outpost.journal.JournalException;
import io.outpost.journal.JournalInDoubtException;
import io.outpost.journal.JournalMetrics;
import io.outpost.journal.embedded.JournalIndex.Location;
import io.outpost.journal.embedded.JournalIndex.Meta;
import io.outpost.journal.embedded.JournalIndex.State;
import io.outpost.journal.embedded.RecordCodec.AbortRec;
import io.outpost.journal.embedded.RecordCodec.CommitRec;
import io.outpost.journal.embedded.RecordCodec.EntryRec;
import io.outpost.journal.embedded.RecordCodec.Rec;
import io.outpost.journal.embedded.RecordCodec.SettleRec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit: the one thread that writes the log. It takes whatever writes are queued (at least
 * one, at most {@code maxBatch}), encodes them into one buffer, writes it, fsyncs once, applies the
 * batch to the index and only then completes the futures. There is no batching delay: an idle
 * journal writes a lone append at once, and under load the batch grows by itself while the previous
 * fsync runs. A batch whose write fails (an I/O error, or any exception or error of the file channel)
 * is cut back off the file, so the log never keeps a write that was reported as failed; one that fails
 * before it is written gives its sequence numbers back, so that they stay dense. A batch that cannot be
 * cut back fails with {@link JournalInDoubtException}, since its records may be on disk, and the journal
 * takes no more writes. So does a batch that was made durable but could not be applied to the index or
 * completed: its records are on disk. A writer that stops while the journal is open (its thread
 * interrupted, or an exception outside a batch) fails every queued and every later write instead of
 * leaving them waiting: the journal must be reopened.
 */
final class GroupCommitWriter implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(GroupCommitWriter.class);
    /** How far ahead of the valid bytes a segment is zero-filled when a batch does not fit. */
    static final long PREALLOCATE = 128 * 1024;

    /** A queued write. */
    sealed interface Op permits AppendOp, MarkOp, Stop {}

    record AppendOp(EntryDraft draft, long receivedAtMillis, CompletableFuture<Entry> future) implements Op {}

    /** An outcome, commit, abort or response record about an existing entry. */
    record MarkOp(long sequence, Rec rec, CompletableFuture<Void> future) implements Op {}

    record Stop() implements Op {}

    private record Staged(Op op, Rec rec, Location location) {}

    /** Why the journal takes no more writes although its writer runs: {@code what} happened. */
    private record Broken(String what, Throwable cause) {}

    private final Path directory;
    private final JournalIndex index;
    private final ConcurrentNavigableMap<Long, Segment> segments;
    private final JournalMetrics metrics;
    private final long segmentBytes;
    private final int maxBatch;
    private final BlockingQueue<Op> queue;
    private final Thread thread;
    private volatile boolean closed;
    /** Why the writer stopped while the journal was open; set before the queue is drained. */
    private volatile Throwable died;
    private Segment active;
    private long nextSequence;
    private ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
    /**
     * Set on the writer thread when a failed batch could not be cut back, or a durable one could not be applied;
     * read by {@link #failure}.
     */
    private volatile Broken broken;
    /** Runs between a write's closed check and its queueing; tests close the journal there. */
    Runnable beforeQueue = () -> { };
    /** Runs on the writer thread once a batch is taken, before it is written; tests stop the writer there. */
    Runnable beforeBatch = () -> { };
    /** Runs on the writer thread once a batch is staged, before any of it is written; tests make it throw. */
    Runnable beforeWrite = () -> { };
    /** Runs on the writer thread once a batch is written, before it is forced; tests make it throw. */
    Runnable beforeForce = () -> { };
    /** Runs on the writer thread once a batch is durable, before the index has it; tests make it throw. */
    Runnable afterForce = () -> { };
    /**
     * Cuts a failed batch back off the segment. Tests replace it with one that fails, as on a device that
     * stopped writing: a failure they cannot cause for real once the write itself has failed.
     */
    CutBack cutBack = Segment::truncate;

    /** What cuts a failed batch back: {@link Segment#truncate}. */
    @FunctionalInterface
    interface CutBack {
        void cut(Segment segment, long length) throws IOException;
    }

    GroupCommitWriter(JournalOptions options, JournalIndex index, ConcurrentNavigableMap<Long, Segment> segments,
            JournalMetrics metrics, long nextSequence) {
        this.directory = options.directory();
        this.index = index;
        this.segments = segments;
        this.metrics = metrics;
        this.segmentBytes = options.segmentBytes();
        this.maxBatch = options.maxBatch();
        this.queue = new LinkedBlockingQueue<>(options.maxQueued());
        this.active = segments.lastEntry().getValue();
        this.nextSequence = nextSequence;
        this.thread = new Thread(this, "journal-writer-" + directory.getFileName());
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /**
     * Queues a write; fails its future at once when the journal is closed or the queue is full. A write
     * that races with {@link #close} is either written before the writer stops or failed, never left
     * in the queue: whoever removes it from the queue completes it.
     */
    void submit(Op op, CompletableFuture<?> future) {
        JournalException refused = refusal();
        if (refused != null) {
            if (died != null) {
                metrics.batchFailed(1); // a dead writer's refusals are failed writes, as its last batch was
            }
            future.completeExceptionally(refused);
            return;
        }
        beforeQueue.run();
        if (!queue.offer(op)) {
            future.completeExceptionally(new JournalException("journal " + directory + ": more than "
                    + (queue.size() + queue.remainingCapacity()) + " writes queued (the disk is not keeping up)"));
            return;
        }
        // close() may have stopped the writer and drained the queue between the check above and the offer, or
        // the writer may have died and drained it. closed is set before close() queues its Stop, and died before
        // the dying writer drains the queue, so a write queued after either drain sees it here; one queued
        // before is taken by the writer or by the drain, and then remove() finds nothing.
        if ((closed || died != null) && queue.remove(op)) {
            future.completeExceptionally(refusal());
        }
    }

    /**
     * Why no write is accepted until the journal is reopened: the writer died, or a failed batch could not be
     * cut back; null while it writes.
     */
    String failure() {
        Throwable cause = died;
        if (cause != null) {
            return diedException(cause).getMessage();
        }
        Broken b = broken;
        return b == null ? null : brokenException(b).getMessage();
    }

    /**
     * Why a write is refused at once: its writer died (whether the journal was closed since or not: that is
     * what the journal needs reopening for), or the journal is closed; null while it writes.
     */
    private JournalException refusal() {
        Throwable cause = died;
        if (cause != null) {
            return diedException(cause);
        }
        return closed ? closedException() : null;
    }

    /**
     * Lets every queued write finish, then stops the thread; a write submitted during or after this fails.
     * Never waits for a writer that has died: what it left queued is failed.
     */
    void close() throws InterruptedException {
        closed = true;
        Stop stop = new Stop();
        // Not put(): with the queue full and the writer dead, it would wait forever.
        while (!queue.offer(stop, 50, TimeUnit.MILLISECONDS)) {
            if (!thread.isAlive()) {
                break;
            }
        }
        thread.join();
        List<Op> left = new ArrayList<>();
        queue.drainTo(left);
        fail(left, closedException());
    }

    private JournalException closedException() {
        return new JournalException("journal " + directory + " is closed");
    }

    private JournalException brokenException(Broken b) {
        return new JournalException("journal " + active.path() + " is unusable after " + b.what() + "; reopen it",
                b.cause());
    }

    private JournalException diedException(Throwable cause) {
        String why = cause instanceof InterruptedException ? "its thread was interrupted" : cause.toString();
        return new JournalException("journal " + directory + ": the writer stopped (" + why
                + "); no write is accepted until the journal is reopened", cause);
    }

    @Override
    public void run() {
        List<Op> batch = new ArrayList<>();
        try {
            boolean stop = false;
            while (!stop) {
                batch.add(queue.take());
                queue.drainTo(batch, maxBatch - 1);
                stop = batch.removeIf(op -> op instanceof Stop);
                beforeBatch.run();
                try {
                    writeBatch(batch);
                } catch (RuntimeException | Error e) {
                    // Only what writeBatch's own failure paths do not handle gets here.
                    log.error("journal writer {} failed", directory, e);
                    fail(batch, new JournalException("journal " + directory + ": writer failed: " + e, e));
                }
                batch.clear();
            }
        } catch (Throwable e) { // an interrupt, or anything thrown outside a batch: the writer cannot go on
            died(batch, e);
        }
    }

    /**
     * The writer stops while the journal is open: its batch, everything queued and every later write fail
     * (submit sees {@link #died}), so that no client waits for a write that will never be made.
     */
    private void died(List<Op> batch, Throwable cause) {
        // Logged before any write fails: whoever sees a write fail for this reason finds it in the log.
        log.error("journal writer {} stopped; every queued and later write fails until the journal is reopened",
                directory, cause);
        died = cause;
        List<Op> left = new ArrayList<>();
        queue.drainTo(left);
        left.removeIf(op -> op instanceof Stop);
        metrics.batchFailed(batch.size() + left.size());
        fail(batch, diedException(cause));
        fail(left, diedException(cause));
    }

    private void writeBatch(List<Op> batch) {
        if (broken != null) {
            metrics.batchFailed(batch.size());
            fail(batch, brokenException(broken));
            return;
        }
        long firstSequence = nextSequence;
        List<Staged> staged;
        long start;
        int bytes;
        try {
            if (active.size() >= segmentBytes && !roll(batch)) {
                return;
            }
            // Compaction changes the index from another thread (under the write lock): read it under the read lock.
            staged = index.read(() -> stage(batch));
            if (staged.isEmpty()) {
                return;
            }
            start = active.size();
            bytes = buffer.flip().remaining();
            preallocate(start + bytes);
            beforeWrite.run();
        } catch (RuntimeException | Error e) {
            notWritten(batch, firstSequence, e);
            return;
        }
        try {
            active.write(buffer);
            beforeForce.run();
            active.force();
        } catch (Throwable e) {
            // Not only an IOException: an unchecked exception or an error of the file channel may come after part of
            // the batch reached the file just the same, so every failure here is cut back, or makes the batch in doubt.
            writeFailed(staged, firstSequence, start, e);
            return;
        }
        active.size(start + bytes);
        // From here on the batch is durable: whatever fails, it must not be reported as not written.
        try {
            int entries = 0;
            for (Staged s : staged) {
                entries += s.rec() instanceof EntryRec ? 1 : 0;
            }
            metrics.batchDurable(entries, staged.size(), bytes);
            afterForce.run();
            index.write(() -> staged.forEach(s -> index.apply(s.rec(), s.location())));
            for (Staged s : staged) {
                complete(s);
            }
        } catch (RuntimeException | Error e) {
            storedButNotApplied(staged, e);
        }
    }

    /** Seals the full active segment and starts the next one; false when that failed, and so did the batch. */
    private boolean roll(List<Op> batch) {
        Path next = Segment.pathOf(directory, active.id() + 1);
        try {
            active.seal();
            active = Segment.create(directory, active.id() + 1, nextSequence);
            segments.put(active.id(), active);
            return true;
        } catch (IOException e) {
            metrics.batchFailed(batch.size());
            fail(batch, new JournalException("cannot create journal segment " + next + ": " + e, e));
            return false;
        }
    }

    /**
     * The batch failed before any of it was written (while it was staged, or the segment grown for it): the file
     * holds nothing of it, so the sequences it took are given back, and the next batch numbers on from the last
     * durable entry with no gap (recovery and the replicas rely on dense sequences). Its writes not completed yet
     * (those refused while staging are) fail, and the journal goes on taking writes. An error is logged and not
     * rethrown, so the writer goes on, as {@link #run} lets it after any failed batch: its state is as before the
     * batch, and stopping it would fail every later write until the journal is reopened, although the next batch
     * may well go through (after an OutOfMemoryError for the direct buffer of a large batch, say).
     */
    private void notWritten(List<Op> batch, long firstSequence, Throwable e) {
        nextSequence = firstSequence;
        JournalException failure = new JournalException("journal " + active.path() + ": a batch failed before it was"
                + " written (" + e + "); none of its writes is stored", e);
        log.error("journal writer {}: a batch failed before it was written; its writes fail", directory, e);
        int failed = 0;
        for (Op op : batch) {
            failed += future(op).isDone() ? 0 : 1;
        }
        metrics.batchFailed(failed);
        fail(batch, failure);
    }

    /**
     * Writing or forcing the batch failed, and part of it may be in the file: it is cut back to {@code start}, and
     * its writes fail as not stored; if that fails too, they fail in doubt ({@link JournalInDoubtException}), and
     * the journal takes no more writes. The segment's valid size stays {@code start} either way. As in
     * {@link #notWritten}, an error is logged and not rethrown: the batch is failed, and the writer can go on (or
     * refuses writes, when the journal is broken) without being stopped.
     */
    private void writeFailed(List<Staged> staged, long firstSequence, long start, Throwable e) {
        nextSequence = firstSequence;
        String why = "cannot write journal segment " + active.path() + ": " + e;
        JournalException failure;
        try {
            cutBack.cut(active, start);
            failure = new JournalException(why, e);
        } catch (Throwable truncateFailure) {
            // Part of the batch may be on disk: the next open may find its entries in doubt and commit them.
            broken = new Broken("a failed write could not be cut back (" + truncateFailure.getMessage() + ")",
                    truncateFailure);
            failure = JournalInDoubtException.maybeStored(why + "; cutting the batch back failed too ("
                    + truncateFailure + "), so its writes may be stored and come back in doubt when the journal is"
                    + " reopened", e);
            failure.addSuppressed(truncateFailure);
        }
        if (e instanceof IOException) {
            log.error("journal write failed: {}", failure.getMessage());
        } else {
            log.error("journal write failed: {}", failure.getMessage(), e);
        }
        metrics.batchFailed(staged.size());
        for (Staged s : staged) {
            future(s.op()).completeExceptionally(failure);
        }
    }

    /**
     * The batch is durable, but applying it to the index or completing its futures failed. Its records are in the
     * log, and the next open finds its entries in doubt (the gateway then commits and delivers them), so a write not
     * completed yet fails with {@link JournalInDoubtException}, not as one that was not written; a write completed
     * already keeps its result, and only the writes failed here count as failed. Completing them as written instead
     * would need an index that has the batch, and it may hold all, part or none of it. For the same reason the
     * journal takes no more writes until it is reopened, as after a batch that could not be cut back: later writes
     * would be checked against an index that disagrees with the log (a key on disk but free in memory, a mark
     * refused for an entry that exists), and a failed append's entry left undecided in memory would hold back its
     * session's deliveries for good. {@link #failure} says so, which is what makes the gateway let the journal go
     * and open it again; the next open rebuilds the index from the log.
     */
    private void storedButNotApplied(List<Staged> staged, Throwable e) {
        broken = new Broken("a batch it stored could not be applied (" + e + ")", e);
        JournalInDoubtException failure = JournalInDoubtException.stored("journal " + active.path() + ": a batch was"
                + " stored but could not be applied (" + e + "); its writes come back in doubt when the journal is"
                + " reopened", e);
        log.error("journal writer {}: a durable batch could not be applied; no write is accepted until the journal is"
                + " reopened", directory, e);
        int failed = 0;
        for (Staged s : staged) {
            failed += future(s.op()).isDone() ? 0 : 1;
        }
        metrics.batchFailed(failed);
        for (Staged s : staged) {
            future(s.op()).completeExceptionally(failure);
        }
    }

    /**
     * Zero-fills the segment ahead when {@code end} is past its allocated length: up to
     * {@link #PREALLOCATE} further, or to {@code segmentBytes} near the segment's end. A disk that
     * refuses the zeros does not fail the batch; its own write may still fit.
     */
    private void preallocate(long end) {
        if (active.allocated(end)) {
            return;
        }
        try {
            active.preallocate(Math.max(end, Math.min(active.size() + PREALLOCATE, segmentBytes)));
        } catch (IOException e) {
            log.debug("journal segment {}: cannot write ahead: {}", active.path(), e.toString());
        }
    }

    /** Validates and encodes the batch into the buffer; invalid writes fail here and are left out. */
    private List<Staged> stage(List<Op> batch) {
        buffer.clear();
        long firstSequence = nextSequence;
        Map<String, Long> batchKeys = new HashMap<>();
        Map<Long, State> batchStates = new HashMap<>();
        List<Staged> staged = new ArrayList<>(batch.size());
        for (Op op : batch) {
            Rec rec;
            try {
                rec = op instanceof AppendOp a ? entry(a, batchKeys) : mark((MarkOp) op, firstSequence, batchStates);
            } catch (RuntimeException e) {
                future(op).completeExceptionally(e);
                continue;
            }
            int size = RecordCodec.sizeOf(rec);
            if (buffer.remaining() < size) {
                ByteBuffer bigger = ByteBuffer.allocateDirect(Math.max(buffer.capacity() * 2, buffer.position() + size));
                buffer = bigger.put(buffer.flip());
            }
            int offset = buffer.position();
            RecordCodec.encode(rec, buffer);
            staged.add(new Staged(op, rec, new Location(active.id(), active.size() + offset, buffer.position() - offset)));
        }
        return staged;
    }

    private Rec entry(AppendOp op, Map<String, Long> batchKeys) {
        String key = op.draft().idempotencyKey();
        Long inBatch = batchKeys.get(key);
        if (inBatch != null) {
            throw new DuplicateIdempotencyKeyException(key, inBatch);
        }
        Meta existing = index.byIdempotencyKey(key);
        if (existing != null && existing.state != State.ABORTED) {
            throw new DuplicateIdempotencyKeyException(key, existing.sequence);
        }
        EntryRec rec = new EntryRec(Entry.of(nextSequence, op.draft(), op.receivedAtMillis()));
        if (rec.maxBodySize() > RecordCodec.MAX_BODY) {
            throw new IllegalArgumentException("entry \"" + key + "\": up to " + rec.maxBodySize()
                    + " bytes (expected: <= " + RecordCodec.MAX_BODY + ")");
        }
        batchKeys.put(key, nextSequence++);
        return rec;
    }

    private Rec mark(MarkOp op, long firstSequence, Map<Long, State> batchStates) {
        long seq = op.sequence();
        Meta meta = index.meta(seq);
        boolean inBatch = seq >= firstSequence && seq < nextSequence;
        if (meta == null && !inBatch) {
            throw new IllegalArgumentException("sequence: " + seq + " (expected: an entry of this journal that is"
                    + " not compacted)");
        }
        State state = batchStates.getOrDefault(seq, meta == null ? State.UNDECIDED : meta.state);
        boolean commits = op.rec() instanceof CommitRec || op.rec() instanceof SettleRec;
        if (commits && state == State.ABORTED) {
            throw new IllegalStateException("entry " + seq + " is aborted; it cannot be committed");
        }
        if (op.rec() instanceof AbortRec && state == State.COMMITTED) {
            throw new IllegalStateException("entry " + seq + " is committed; it cannot be aborted");
        }
        if (commits) {
            batchStates.put(seq, State.COMMITTED);
        } else if (op.rec() instanceof AbortRec) {
            batchStates.put(seq, State.ABORTED);
        }
        return op.rec();
    }

    private static void complete(Staged s) {
        if (s.op() instanceof AppendOp a) {
            a.future().complete(((EntryRec) s.rec()).entry());
        } else if (s.op() instanceof MarkOp m) {
            m.future().complete(null);
        }
    }

    private static CompletableFuture<?> future(Op op) {
        if (op instanceof AppendOp a) {
            return a.future();
        }
        return op instanceof MarkOp m ? m.future() : new CompletableFuture<>();
    }

    private static void fail(List<Op> ops, Throwable cause) {
        for (Op op : ops) {
            future(op).completeExceptionally(cause);
        }
    }
}
