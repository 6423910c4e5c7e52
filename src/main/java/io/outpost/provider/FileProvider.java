package io.outpost.provider;

import io.outpost.config.ConfigError;
import io.outpost.config.ConfigLoader;
import io.outpost.config.ConfigResult;
import io.outpost.config.OutpostConfig;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one configuration file and pushes every new valid snapshot to a listener. It watches the
 * parent directory (editors and Kubernetes replace files rather than write them in place) and also
 * compares the file's modification time and size on a short period, for file systems where watch
 * events do not arrive. Bursts of events are debounced, content that did not change since it was
 * last applied is skipped by hash, and an invalid file is logged error by error while the last good
 * snapshot stays in force. A rejected file is checked again each time it is saved, even unchanged:
 * what made it invalid (a certificate file it names, say) may have been fixed outside it.
 *
 * <p>The listener runs on the provider's own daemon thread, one call at a time.
 *
 * <pre>{@code
 * try (FileProvider provider = FileProvider.builder(Path.of("outpost.yaml"), server::swap).build()) {
 *     ConfigResult first = provider.start();
 *     ...
 * }
 * }</pre>
 */
public final class FileProvider implements ConfigProvider {

    private static final Logger log = LoggerFactory.getLogger(FileProvider.class);
    private static final int MAX_DEBOUNCES = 10;

    private final Path file;
    private final ConfigLoader loader;
    private final Consumer<OutpostConfig> listener;
    private final Duration debounce;
    private final Duration pollInterval;
    private final boolean useWatchService;
    private final Consumer<Reload> onReload;
    private final Object lock = new Object();

    private volatile OutpostConfig current;
    private volatile boolean running;
    private WatchService watcher;
    private Thread thread;
    /** The hash of the bytes last applied; null when the last read was not applied. */
    private byte[] lastHash;
    private FileStamp lastStamp;

    private FileProvider(Builder b) {
        this.file = b.file.toAbsolutePath().normalize();
        this.loader = b.loader;
        this.listener = b.listener;
        this.debounce = b.debounce;
        this.pollInterval = b.pollInterval;
        this.useWatchService = b.useWatchService;
        this.onReload = b.onReload;
    }

    /** What became of one read of the file; for metrics, the admin API and tests. */
    public record Reload(Outcome outcome, List<ConfigError> errors) {
        public Reload {
            errors = List.copyOf(errors);
        }
    }

    /**
     * Applied: pushed to the listener. Rejected: invalid, unreadable or refused by the listener; last good
     * kept. Unchanged: the same bytes as the snapshot in force.
     */
    public enum Outcome { APPLIED, REJECTED, UNCHANGED }

    public static Builder builder(Path file, Consumer<OutpostConfig> listener) {
        return new Builder(file, listener);
    }

    @Override
    public ConfigResult start() {
        synchronized (lock) {
            if (thread != null) {
                throw new IllegalStateException("already started");
            }
            ConfigResult first = reload();
            try {
                if (!useWatchService) {
                    throw new IOException("watch service disabled");
                }
                watcher = FileSystems.getDefault().newWatchService();
                file.getParent().register(watcher, StandardWatchEventKinds.ENTRY_CREATE,
                        StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE);
            } catch (IOException e) {
                log.warn("cannot watch {} ({}); checking it every {} instead", file.getParent(), e.toString(), pollInterval);
                watcher = null;
            }
            running = true;
            thread = new Thread(this::watchLoop, "outpost-config-" + file.getFileName());
            thread.setDaemon(true);
            thread.start();
            return first;
        }
    }

    @Override
    public Optional<OutpostConfig> current() {
        return Optional.ofNullable(current);
    }

    @Override
    public void close() {
        Thread t;
        synchronized (lock) {
            running = false;
            t = thread;
            if (watcher != null) {
                try {
                    watcher.close();
                } catch (IOException e) {
                    log.debug("closing the watch service of {}", file, e);
                }
            }
        }
        if (t != null && t != Thread.currentThread()) {
            t.interrupt();
            try {
                t.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void watchLoop() {
        try {
            while (running) {
                if (changeSignalled(pollInterval) || stampChanged()) {
                    awaitQuiet();
                    if (running) {
                        reloadOrLog();
                    }
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // close() was called
        } catch (RuntimeException e) {
            log.error("configuration watcher for {} stopped", file, e);
        }
    }

    /**
     * Lets the writer finish: returns once neither an event about the file nor a change of its stamp has
     * come for one debounce period, but within {@value #MAX_DEBOUNCES} periods for a file written all the
     * time. One save often comes as several events (truncate then write, or a temporary file renamed over
     * it), and the stamp can see a save before its event arrives: each is part of the same wait, so the
     * save is read once. Events about other files in the directory (the temporary file itself, an
     * editor's backup) neither end nor extend the wait; ending it early read a save twice.
     */
    private void awaitQuiet() throws InterruptedException {
        long period = debounce.toNanos();
        long start = System.nanoTime();
        long lastChange = start;
        FileStamp seen = FileStamp.of(file);
        while (running) {
            long now = System.nanoTime();
            long quietLeft = lastChange + period - now;
            long budgetLeft = start + MAX_DEBOUNCES * period - now;
            if (quietLeft <= 0 || budgetLeft <= 0) {
                return;
            }
            boolean event = changeSignalled(Duration.ofNanos(Math.min(quietLeft, budgetLeft)));
            FileStamp stamp = FileStamp.of(file);
            if (event || !Objects.equals(stamp, seen)) {
                log.trace("{} is still changing", file);
                lastChange = System.nanoTime();
                seen = stamp;
            }
        }
    }

    /**
     * One reload from the watcher: a failure that escapes it (a bug in checking one file) is logged
     * and the watcher carries on, so the next save is still read; otherwise hot reload would stop for
     * good while the gateway keeps running.
     */
    private void reloadOrLog() {
        try {
            reload();
        } catch (RuntimeException e) {
            log.error("configuration {} could not be checked; keeping the last good configuration", file, e);
            report(new Reload(Outcome.REJECTED, List.of(new ConfigError(file.toString(), "could not be checked: " + e))));
        }
    }

    /**
     * Waits up to {@code timeout} for watch events; true if one was about our file. Returns early, with
     * false, on events about other files only.
     */
    private boolean changeSignalled(Duration timeout) throws InterruptedException {
        if (watcher == null) {
            TimeUnit.NANOSECONDS.sleep(timeout.toNanos());
            return false;
        }
        WatchKey key = watcher.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        if (key == null) {
            return false;
        }
        boolean ours = false;
        for (WatchEvent<?> event : key.pollEvents()) {
            ours |= event.kind() == StandardWatchEventKinds.OVERFLOW || concernsFile(event.context());
        }
        key.reset();
        return ours;
    }

    /** The file itself, or a Kubernetes-style {@code ..data} symlink swap in its directory. */
    private boolean concernsFile(Object context) {
        return context instanceof Path p && (p.equals(file.getFileName()) || p.toString().startsWith(".."));
    }

    private boolean stampChanged() {
        return !Objects.equals(FileStamp.of(file), lastStamp);
    }

    /** Reads, hashes and (if the content is new) validates the file; pushes it when valid. */
    private ConfigResult reload() {
        synchronized (lock) {
            lastStamp = FileStamp.of(file);
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(file);
            } catch (IOException e) {
                ConfigResult unreadable = ConfigLoader.unreadable(file, e);
                log.error("configuration {}; keeping the last good configuration", unreadable.errors().get(0));
                report(new Reload(Outcome.REJECTED, unreadable.errors()));
                return unreadable;
            }
            byte[] hash = sha256(bytes);
            if (Arrays.equals(hash, lastHash)) {
                report(new Reload(Outcome.UNCHANGED, List.of()));
                return new ConfigResult.Valid(current, List.of());
            }
            // Until this read is applied, the same bytes are checked again when saved again.
            lastHash = null;
            ConfigResult result = loader.parse(bytes, file.toString());
            result.warnings().forEach(w -> log.warn("configuration warning: {}", w));
            if (result instanceof ConfigResult.Valid valid) {
                OutpostConfig config = valid.config();
                log.info("configuration {} loaded: {} routers, {} services", file,
                        config.http().routers().size(), config.http().services().size());
                Optional<ConfigError> refused = push(config);
                if (refused.isEmpty()) {
                    current = config;
                    lastHash = hash;
                    report(new Reload(Outcome.APPLIED, List.of()));
                } else {
                    report(new Reload(Outcome.REJECTED, List.of(refused.get())));
                }
            } else {
                log.error("configuration {} rejected with {} error(s); keeping the last good configuration",
                        file, result.errors().size());
                for (ConfigError error : result.errors()) {
                    log.error("configuration error: {}", error);
                }
                report(new Reload(Outcome.REJECTED, result.errors()));
            }
            return result;
        }
    }

    /** Hands {@code config} to the listener; empty when it was applied, else why not. */
    private Optional<ConfigError> push(OutpostConfig config) {
        String kept = current == null ? "" : "; keeping the last good configuration";
        try {
            listener.accept(config);
            return Optional.empty();
        } catch (SnapshotRejectedException e) {
            log.error("configuration {} cannot be applied: {}{}", file, e.getMessage(), kept);
            return Optional.of(new ConfigError(file.toString(), "cannot be applied: " + e.getMessage()));
        } catch (RuntimeException e) {
            log.error("configuration listener failed on the snapshot from {}{}", file, kept, e);
            return Optional.of(new ConfigError(file.toString(), "cannot be applied: " + e));
        }
    }

    private void report(Reload reload) {
        try {
            onReload.accept(reload);
        } catch (RuntimeException e) {
            log.error("reload callback failed", e);
        }
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What a cheap {@code stat} can tell about the file; null fields when it does not exist. */
    private record FileStamp(long modifiedNanos, long size, Object key) {
        static FileStamp of(Path file) {
            try {
                BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
                return new FileStamp(a.lastModifiedTime().to(TimeUnit.NANOSECONDS), a.size(), a.fileKey());
            } catch (IOException e) {
                return null;
            }
        }
    }

    /** Options for a {@link FileProvider}; the defaults suit people editing the file by hand. */
    public static final class Builder {
        private final Path file;
        private final Consumer<OutpostConfig> listener;
        private ConfigLoader loader = new ConfigLoader();
        private Duration debounce = Duration.ofMillis(100);
        private Duration pollInterval = Duration.ofMillis(250);
        private boolean useWatchService = true;
        private Consumer<Reload> onReload = reload -> { };

        private Builder(Path file, Consumer<OutpostConfig> listener) {
            this.file = Objects.requireNonNull(file, "file");
            this.listener = Objects.requireNonNull(listener, "listener");
        }

        /** The loader, for example one that checks rule syntax. */
        public Builder loader(ConfigLoader loader) {
            this.loader = Objects.requireNonNull(loader, "loader");
            return this;
        }

        /**
         * How long the file must be quiet before it is read (default 100ms): long enough for the events of
         * one save to arrive together, short enough that a change serves well within a second.
         */
        public Builder debounce(Duration debounce) {
            if (debounce.isNegative() || debounce.isZero()) {
                throw new IllegalArgumentException("debounce: " + debounce + " (expected: > 0)");
            }
            this.debounce = debounce;
            return this;
        }

        /** How often the file's modification time and size are compared, as a fallback (default 250ms). */
        public Builder pollInterval(Duration pollInterval) {
            if (pollInterval.isNegative() || pollInterval.isZero()) {
                throw new IllegalArgumentException("pollInterval: " + pollInterval + " (expected: > 0)");
            }
            this.pollInterval = pollInterval;
            return this;
        }

        /** False relies on the periodic check alone, for file systems without change events (some NFS mounts). */
        public Builder useWatchService(boolean useWatchService) {
            this.useWatchService = useWatchService;
            return this;
        }

        /** Called after every read of the file, on the provider's thread, with what came of it. */
        public Builder onReload(Consumer<Reload> onReload) {
            this.onReload = Objects.requireNonNull(onReload, "onReload");
            return this;
        }

        public FileProvider build() {
            return new FileProvider(this);
        }
    }
}
