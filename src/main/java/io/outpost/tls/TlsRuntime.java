package io.outpost.tls;

import io.outpost.config.EntryPointConfig;
import io.outpost.config.OutpostConfig;
import io.outpost.proxy.Routing;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's TLS as one piece: the TLS of each entry point (with its file polling), the ACME
 * manager whose certificates every TLS entry point serves, and the HTTP-01 answers in front of
 * routing.
 *
 * <pre>{@code
 * TlsRuntime tls = new TlsRuntime(scheduler, clock, TlsRuntime.DEFAULT_POLL);
 * tls.bind(config);                                 // before the entry points listen
 * new EntryPoint(name, address, idle, tls.entryPoint(name));
 * context.routing(tls.wrap(runtime));               // on every snapshot
 * tls.certificates(config);                         // once listening, and on every snapshot
 * }</pre>
 */
public final class TlsRuntime implements AutoCloseable {

    public static final Duration DEFAULT_POLL = Duration.ofSeconds(5);

    private final ScheduledExecutorService scheduler;
    private final Duration poll;
    private final Http01Challenges challenges = new Http01Challenges();
    private final AcmeManager acme;
    private final Map<String, EntryPointTls> entryPoints = new LinkedHashMap<>();
    private ScheduledFuture<?> polling;

    public TlsRuntime(ScheduledExecutorService scheduler, Clock clock, Duration poll) {
        this.scheduler = scheduler;
        this.poll = poll;
        this.acme = new AcmeManager(clock, challenges, this::publish);
    }

    /**
     * Loads the certificates of every TLS entry point and starts polling their files. Fails with the
     * entry point's name and the file's problem when one cannot be used (validation checks the files,
     * but they may change on disk before this runs).
     */
    public synchronized void bind(OutpostConfig config) throws IOException {
        for (Map.Entry<String, EntryPointConfig> e : config.entryPoints().entrySet()) {
            if (e.getValue().tls().isPresent()) {
                try {
                    entryPoints.put(e.getKey(), EntryPointTls.load(e.getKey(), e.getValue().tls().get()));
                } catch (IOException | RuntimeException ex) {
                    throw new IOException("entry point " + e.getKey() + ": " + ex.getMessage(), ex);
                }
            }
        }
        if (!entryPoints.isEmpty() && polling == null) {
            polling = scheduler.scheduleWithFixedDelay(this::reloadIfChanged, poll.toMillis(), poll.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
    }

    /** The TLS of entry point {@code name}, or null when it is plain text. */
    public synchronized EntryPointTls entryPoint(String name) {
        return entryPoints.get(name);
    }

    /** The pending HTTP-01 challenges (for tests). */
    Http01Challenges challenges() {
        return challenges;
    }

    /** {@code routing} with pending ACME challenges answered first. */
    public Routing wrap(Routing routing) {
        return challenges.wrap(routing);
    }

    /** Starts obtaining the certificates {@code config} asks for; completes when they are served. */
    public CompletableFuture<Void> certificates(OutpostConfig config) {
        return acme.apply(config);
    }

    public AcmeManager acme() {
        return acme;
    }

    /** Reloads changed certificate files now (the scheduler also does it every poll interval). */
    public void reloadIfChanged() {
        for (EntryPointTls tls : snapshot()) {
            tls.reloadIfChanged();
        }
    }

    private synchronized List<EntryPointTls> snapshot() {
        return List.copyOf(entryPoints.values());
    }

    private void publish(List<CertifiedKey> certificates) {
        for (EntryPointTls tls : snapshot()) {
            tls.acmeCertificates(certificates);
        }
    }

    @Override
    public synchronized void close() {
        if (polling != null) {
            polling.cancel(false);
        }
        acme.close();
    }
}
