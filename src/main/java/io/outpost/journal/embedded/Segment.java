package io.outpost.journal.embedded;

import io.outpost.journal.JournalException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One file of the log. It starts with a 16-byte header ({@code "OPJ1"}, format version, the first
 * sequence number it may hold) and then holds frames back to back. Only the newest segment is
 * written; reads use positional I/O and may run on any thread.
 *
 * <p>Reads have a channel of their own. An interrupt of a thread during a channel operation closes the
 * channel for every thread (ClosedByInterruptException), and the journal cannot keep interruptible threads
 * away from its reads: they run on the caller's thread, which may be the gateway's scheduler (stopped with
 * {@code shutdownNow}) or the configuration thread that builds a replicated service (interrupted when the
 * provider closes). Sharing the writer's channel, one interrupted reader would fail every later write, and
 * an interrupted writer every later read. With a read channel, an interrupt fails only the interrupted
 * thread's own operation; a read channel closed that way is replaced by the next read.
 *
 * <p>The newest segment is zero-filled ahead of its valid bytes ({@link #preallocate}), so that most
 * batches overwrite space the file already has: their {@code fdatasync} then flushes the data alone,
 * not the file's size as well (one device write less per batch). Zeros never pass as a frame (a
 * frame's length is at least one), so recovery reads a zero tail as the end of the log. A segment is
 * cut back to its valid bytes before the next one is created ({@link #seal}); only the newest segment
 * can end in zeros.
 */
final class Segment implements AutoCloseable {

    static final int HEADER = 16;
    static final int MAGIC = 0x4F504A31; // "OPJ1"
    static final int VERSION = 1;
    /** Where the header holds the first sequence. */
    static final int BASE_AT = 8;
    static final String SUFFIX = ".seg";

    private final long id;
    /** Recovery may repair it ({@link #repairBase}); compaction reads it from any thread. */
    private volatile long baseSequence;
    private final Path path;
    /** What {@link #preallocate} writes from. */
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(64 * 1024);

    /** The writer's: recovery, appends, fsync, truncation. */
    private final FileChannel channel;
    /** What {@link #read} uses; opened on the first read, replaced when an interrupted reader closed it. */
    private volatile FileChannel reads;
    /** Set by {@link #close}: a closed segment (compacted, or its journal closed) is not opened for reads again. */
    private boolean closed;
    /** Bytes known good; only the writer thread changes it. */
    private volatile long size;
    /** The file's length: {@link #size} plus the zeros written ahead; only the writer thread uses it. */
    private long allocated;

    private Segment(long id, long baseSequence, Path path, FileChannel channel, long size) {
        this.id = id;
        this.baseSequence = baseSequence;
        this.path = path;
        this.channel = channel;
        this.size = size;
        this.allocated = size;
    }

    static Path pathOf(Path dir, long id) {
        return dir.resolve(String.format("%020d%s", id, SUFFIX));
    }

    /** Creates a new segment file, writes its header and makes file and directory entry durable. */
    static Segment create(Path dir, long id, long baseSequence) throws IOException {
        Path path = pathOf(dir, id);
        FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        try {
            ByteBuffer header = ByteBuffer.allocate(HEADER).putInt(MAGIC).putInt(VERSION).putLong(baseSequence).flip();
            while (header.hasRemaining()) {
                channel.write(header, header.position());
            }
            channel.force(true);
            forceDirectory(dir);
            return new Segment(id, baseSequence, path, channel, HEADER);
        } catch (IOException | RuntimeException e) {
            channel.close();
            Files.deleteIfExists(path);
            throw e;
        }
    }

    /** Opens an existing segment; the caller scans it and then sets its valid size. */
    static Segment open(Path path, long id) throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            ByteBuffer header = ByteBuffer.allocate(HEADER);
            while (header.hasRemaining() && channel.read(header, header.position()) >= 0) {
                // keep reading until full or end of file
            }
            if (header.position() < HEADER) {
                return new Segment(id, -1, path, channel, 0);
            }
            header.flip();
            int magic = header.getInt();
            int version = header.getInt();
            if (magic != MAGIC || version != VERSION) {
                throw new JournalException(path + ": not a journal segment (magic " + Integer.toHexString(magic)
                        + ", version " + version + "; expected " + Integer.toHexString(MAGIC) + ", " + VERSION + ")");
            }
            return new Segment(id, header.getLong(), path, channel, channel.size());
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    static void forceDirectory(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    /** The whole file, for the recovery scan. */
    ByteBuffer readAll() throws IOException {
        long length = channel.size();
        if (length > Integer.MAX_VALUE) {
            throw new JournalException(path + ": " + length + " bytes (expected: < 2 GiB per segment)");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) length);
        while (buf.hasRemaining() && channel.read(buf, buf.position()) >= 0) {
            // keep reading
        }
        return buf.flip();
    }

    /**
     * Reads one frame written earlier; safe from any thread. If the read channel was closed under it by
     * another reader's interrupt, the read is made again on a fresh one; a thread that is itself
     * interrupted gets the exception (and keeps its interrupt status).
     */
    ByteBuffer read(long offset, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        for (int attempt = 1; ; attempt++) {
            FileChannel ch = readChannel();
            try {
                while (buf.hasRemaining()) {
                    if (ch.read(buf, offset + buf.position()) < 0) {
                        throw new IOException(path + ": end of file at " + (offset + buf.position()));
                    }
                }
                return buf.flip();
            } catch (ClosedChannelException e) {
                // Bounded: only yet another interrupted reader can close the fresh channel as well.
                if (attempt == 3 || Thread.currentThread().isInterrupted()) {
                    throw e;
                }
                buf.clear();
                replaceReadChannel(ch);
            }
        }
    }

    private FileChannel readChannel() throws IOException {
        FileChannel ch = reads;
        return ch != null ? ch : replaceReadChannel(null);
    }

    /** Opens a read channel in place of {@code failed} (null: none yet), unless another thread did already. */
    private synchronized FileChannel replaceReadChannel(FileChannel failed) throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        if (reads == failed) {
            reads = FileChannel.open(path, StandardOpenOption.READ);
        }
        return reads;
    }

    /** Writes a batch at the end of the valid bytes, without forcing it. */
    void write(ByteBuffer batch) throws IOException {
        long pos = size;
        while (batch.hasRemaining()) {
            pos += channel.write(batch, pos);
        }
    }

    void force() throws IOException {
        channel.force(false);
    }

    /**
     * Extends the file with zeros up to {@code length} bytes, unless it is that long already. The zeros
     * are not forced: the next batch's {@link #force} makes them durable along with its data. When
     * the disk refuses them, the file keeps whatever was written and the exception is thrown; the
     * batch can still be written where it fits.
     */
    void preallocate(long length) throws IOException {
        try {
            while (allocated < length) {
                ByteBuffer zeros = ZEROS.duplicate().limit((int) Math.min(ZEROS.capacity(), length - allocated));
                allocated += channel.write(zeros, allocated);
            }
        } catch (IOException e) {
            allocated = channel.size();
            throw e;
        }
    }

    /** True when the file has room for {@code length} bytes without growing. */
    boolean allocated(long length) {
        return length <= allocated;
    }

    /** Cuts the file back to {@code length} bytes and makes that durable. */
    void truncate(long length) throws IOException {
        channel.truncate(length);
        channel.force(true);
        size = length;
        allocated = length;
    }

    /** Ends the segment: the zeros written ahead are cut off, durably, before a newer segment exists. */
    void seal() throws IOException {
        if (allocated > size) {
            truncate(size);
        }
    }

    void overwrite(long offset, ByteBuffer bytes) throws IOException {
        long pos = offset;
        while (bytes.hasRemaining()) {
            pos += channel.write(bytes, pos);
        }
        channel.force(false);
    }

    /**
     * Rewrites the header's first sequence, durably. The header has no checksum: recovery checks the
     * value against the entries around the segment and puts right one that damage changed.
     */
    void repairBase(long base) throws IOException {
        overwrite(BASE_AT, ByteBuffer.allocate(Long.BYTES).putLong(0, base));
        baseSequence = base;
    }

    long id() {
        return id;
    }

    long baseSequence() {
        return baseSequence;
    }

    Path path() {
        return path;
    }

    long size() {
        return size;
    }

    /** Sets the valid bytes after a scan; a zero tail beyond them stays allocated. */
    void size(long size) {
        this.size = size;
    }

    @Override
    public void close() throws IOException {
        FileChannel ch;
        synchronized (this) {
            closed = true;
            ch = reads;
        }
        try {
            channel.close();
        } finally {
            if (ch != null) {
                ch.close();
            }
        }
    }
}
