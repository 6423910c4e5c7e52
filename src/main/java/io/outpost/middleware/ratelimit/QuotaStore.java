package io.outpost.middleware.ratelimit;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Quota counters that survive a restart. Counting happens in memory on the request path; one writer
 * thread saves every table that changed, once per {@code flushInterval} (1 s in the gateway) and on
 * {@link #close()}, as a whole-file snapshot written to a temporary file, forced to disk and renamed
 * over the old one, so a crash leaves either the old or the new snapshot, never a torn one. A crash
 * (kill -9, power loss) therefore forgets at most the last interval of counting.
 *
 * <p>The gateway shares one store per directory for the life of the process ({@link #shared(Path)}),
 * so a configuration reload keeps the counts in memory and only one writer owns the files.
 */
public final class QuotaStore implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(QuotaStore.class);
    private static final int MAGIC = 0x51554F54; // "QUOT"
    private static final int VERSION = 1;
    private static final Map<Path, QuotaStore> SHARED = new ConcurrentHashMap<>();

    private final Path dir;
    private final Map<String, QuotaTable> tables = new ConcurrentHashMap<>();
    private final ScheduledExecutorService writer;
    private volatile boolean closed;

    private QuotaStore(Path dir, Duration flushInterval) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("quota directory " + dir + ": " + e.getMessage(), e);
        }
        writer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "outpost-quota-writer");
            t.setDaemon(true);
            return t;
        });
        long ms = flushInterval.toMillis();
        writer.scheduleWithFixedDelay(this::flushQuietly, ms, ms, TimeUnit.MILLISECONDS);
    }

    /** Opens a store of its own over {@code dir}; the caller closes it. */
    public static QuotaStore open(Path dir, Duration flushInterval) {
        return new QuotaStore(dir, flushInterval);
    }

    /** The process-wide store for {@code dir}, flushed every second and when the JVM exits. */
    public static QuotaStore shared(Path dir) {
        return SHARED.computeIfAbsent(dir.toAbsolutePath().normalize(), d -> {
            QuotaStore store = new QuotaStore(d, Duration.ofSeconds(1));
            Runtime.getRuntime().addShutdownHook(new Thread(store::close, "outpost-quota-flush"));
            return store;
        });
    }

    /** The counters of the quota {@code name}, loaded from its file the first time. */
    public QuotaTable table(String name, int maxKeys) {
        QuotaTable table = tables.computeIfAbsent(name, n -> new QuotaTable(load(file(n))));
        table.maxKeys(maxKeys);
        return table;
    }

    /** Writes every table that changed since its last save. Runs on the writer thread, or at close. */
    public synchronized void flush() throws IOException {
        for (Map.Entry<String, QuotaTable> e : tables.entrySet()) {
            QuotaTable table = e.getValue();
            if (table.takeDirty()) {
                try {
                    save(file(e.getKey()), table);
                } catch (IOException ex) {
                    table.markDirty();
                    throw ex;
                }
            }
        }
    }

    private void flushQuietly() {
        try {
            flush();
        } catch (IOException | RuntimeException e) {
            log.warn("quota store {}: save failed, retrying in the next round: {}", dir, e.toString());
        }
    }

    /** Stops the writer after a last save. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        writer.shutdown();
        try {
            writer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        flushQuietly();
    }

    private Path file(String name) {
        StringBuilder safe = new StringBuilder();
        for (char c : name.toCharArray()) {
            if (Character.isLetterOrDigit(c) && c < 128 || c == '-' || c == '_') {
                safe.append(c);
            } else {
                safe.append('%').append(String.format("%04x", (int) c));
            }
        }
        return dir.resolve(safe + ".quota");
    }

    private static void save(Path file, QuotaTable table) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
                DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
                        java.nio.channels.Channels.newOutputStream(channel), 65536))) {
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            table.write(out);
            out.flush();
            channel.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static Map<String, QuotaTable.Window> load(Path file) {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 65536))) {
            if (in.readInt() != MAGIC || in.readInt() != VERSION) {
                throw new IOException("not a quota file");
            }
            return QuotaTable.read(in);
        } catch (NoSuchFileException e) {
            return Map.of();
        } catch (IOException | RuntimeException e) {
            log.warn("quota file {} unreadable, its counts start from zero: {}", file, e.toString());
            return Map.of();
        }
    }
}
