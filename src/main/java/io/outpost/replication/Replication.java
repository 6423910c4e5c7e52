package io.outpost.replication;

import io.outpost.upstream.PerThreadRandom;
import io.netty.channel.EventLoopGroup;
import io.outpost.config.ServiceConfig;
import io.outpost.journal.Journal;
import io.outpost.journal.JournalException;
import io.outpost.journal.embedded.EmbeddedJournal;
import io.outpost.journal.embedded.JournalOptions;
import io.outpost.proxy.NettyHealthProbe;
import io.outpost.proxy.Transport;
import io.outpost.runtime.BuildContext;
import io.outpost.service.EndpointHealth;
import io.outpost.tls.UpstreamTls;
import io.outpost.upstream.Endpoint;
import io.outpost.upstream.Ticker;
import io.outpost.upstream.health.HealthCheckConfig;
import io.outpost.upstream.health.HttpHealthChecker;
import io.outpost.upstream.resilience.Backoff;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a replicated service keeps running across configuration reloads: its journal (which is locked
 * while open, so it is never reopened by a reload), the replicas' state, the replicator and the write
 * path. A reload hands it to the successor service ({@link #open}), whose settings apply once
 * its snapshot serves; the last owner to {@link #release} it closes it.
 *
 * <p>On open, every entry left in doubt by a crash is committed ({@link InDoubt}) in the background; the
 * service accepts writes once that is durable. If the journal cannot be opened, or later takes no more writes
 * (its writer stopped, or those commits failed), writes answer 503 with the reason, reads keep working, and
 * the next configuration reload opens the journal again.
 */
public final class Replication {

    private static final Logger log = LoggerFactory.getLogger(Replication.class);

    /**
     * Every replication of this JVM with a journal, by journal directory, until its last owner releases it. A
     * reload's service takes the one of its directory over ({@link #open}), and so does a service removed by a
     * reload and added back before the removed snapshot is retired (seconds later), instead of failing to open
     * the locked journal; unless that journal was lost ({@link #lose}): then the journal is opened again.
     * Guarded by itself, as are {@link #release} and {@link #lose}.
     */
    private static final Map<Path, Replication> OPEN = new HashMap<>();

    /** How a journal is opened; tests wrap the journal to make its writes fail. */
    static volatile Function<JournalOptions, Journal> openJournal = EmbeddedJournal::open;

    /** The longest a closing replication waits for deliveries under way to be answered. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    /** Tuning that is not part of the configuration file; tests shorten the timers. */
    public record Options(Duration backoffBase, Duration backoffMax, Duration tick, int lanesPerReplica, int batch,
                          int deliveryThreads, int maxResponseBytes, Ticker ticker, RandomGenerator random,
                          ReadHealth.Policy reads) {
        public static Options defaults() {
            return new Options(Duration.ofMillis(100), Duration.ofSeconds(5), Duration.ofMillis(100), 64, 32, 2,
                    8 * 1024 * 1024, Ticker.system(), PerThreadRandom.INSTANCE, ReadHealth.Policy.DEFAULTS);
        }
    }

    private final String service;
    private final BuildContext context;
    private final Options options;
    /** Null when it could not be opened; closed once lost ({@link #lose}). */
    private final Journal journal;
    /** Why the journal could not be opened or was lost; null while it serves. */
    private volatile String journalError;
    /** Guarded by {@link #OPEN}. */
    private boolean journalClosed;
    private final InDoubt inDoubt;
    private final ReplicationMetrics metrics;
    private final Divergences divergences;
    /** When to write again the deliveries' answers that the journal refused (a full disk, say). */
    private final RecordBackoff records;
    /** Shadow and replay deliveries run on this service's own loops. */
    private final EventLoopGroup group;
    private final SessionLoops loops;
    /** Writes and their live deliveries run on the gateway's loops, which read them (else on the own ones). */
    private final SessionLoops live;
    private final DeliveryClient client;
    private final Replicator replicator;
    private final Writes writes;
    private final Map<String, Replica> replicas = new LinkedHashMap<>();
    private final List<Replica> replicaList;
    private final AtomicInteger owners = new AtomicInteger(1);
    /** Where the journal lives; the key of {@link #OPEN}. */
    private final Path journalDir;
    private final List<ScheduledFuture<?>> timers = new ArrayList<>();
    private volatile HttpHealthChecker healthChecker;
    private volatile ServiceConfig.Replicated config;
    /** How deliveries and health checks reach https replicas; null for the defaults. */
    private volatile UpstreamTls tls;

    private Replication(String service, ServiceConfig.Replicated config, UpstreamTls tls, BuildContext context,
                        Options options) {
        this.tls = tls;
        this.service = service;
        this.config = config;
        this.context = context;
        this.options = options;
        this.metrics = new ReplicationMetrics(context.metrics(), service);
        this.divergences = new Divergences(100, metrics::divergence);
        this.records = new RecordBackoff(service, log, options.ticker(), new Backoff(options.backoffBase(),
                options.backoffMax(), options.random()));
        config.replicas().forEach((name, r) -> replicas.put(name, new Replica(name, r.priority(), endpoints(r, Map.of()),
                new DeliveryHealth(options.ticker(), new Backoff(options.backoffBase(), options.backoffMax(),
                        options.random())), new RateMeter(options.ticker()),
                new ReadHealth(options.ticker(), options.reads()))));
        this.replicaList = List.copyOf(replicas.values());
        this.journalDir = journalDir(service, context);
        Journal opened = null;
        InDoubt doubt = InDoubt.NONE;
        String error = null;
        try {
            opened = openJournal.apply(JournalOptions.builder(journalDir)
                    .replicas(replicas.keySet().toArray(new String[0])).clock(context.clock())
                    .retention(config.retention()).build());
            doubt = InDoubt.of(opened);
        } catch (JournalException e) {
            error = e.getMessage();
            closeQuietly(opened, e);
            opened = null;
            log.error("service {}: journal unavailable, writes will answer 503 (reads keep working): {}", service, error);
        }
        this.journal = opened;
        this.journalError = error;
        this.inDoubt = doubt;
        this.group = Transport.best().newGroup(options.deliveryThreads(), "outpost-delivery-" + service);
        this.loops = new SessionLoops(group);
        this.live = context.loops() == null ? loops : new SessionLoops(context.loops());
        this.client = new DeliveryClient(Transport.best(), options.maxResponseBytes());
        client.timeouts(config.timeouts());
        client.tls(tls);
        if (journal == null) {
            this.replicator = null;
            this.writes = null;
        } else {
            metrics.bindJournal(journal);
            replicaList.forEach(r -> metrics.bindReplica(r.name(), journal));
            this.replicator = new Replicator(journal, replicaList, client, live, loops, context.scheduler(),
                    metrics, divergences, records, config.notReachedStatuses(), context.clock(),
                    options.lanesPerReplica(), options.batch());
            this.writes = new Writes(service, journal, replicator, () -> replicaList,
                    config.overprovisioningFactor(), live, context.scheduler(), options.ticker());
        }
    }

    /**
     * The replication of a service being built: the running one of its journal directory, when there is one
     * whose journal serves (a reload, or a service removed by an earlier reload and not retired yet: either
     * way its journal is open and locked), else a new one, which opens the journal, starts committing the
     * entries left in doubt, and starts delivering and health checking. {@code tls} is what
     * {@code config.tls} configures (read by the caller, so that a bad file fails the build before anything
     * opens).
     */
    static Replication open(String service, ServiceConfig.Replicated config, UpstreamTls tls, BuildContext context,
                            Options options) {
        synchronized (OPEN) {
            Replication running = OPEN.get(journalDir(service, context));
            if (running != null && running.journalError == null) {
                return running.retainLocked(config, tls, context.onActivation());
            }
            if (running != null) {
                // Lost, its journal closed: the new one opens it again. The lost one's meters, which showed the
                // failure meanwhile, go now: those of the new one have the same names and replace them.
                OPEN.remove(running.journalDir, running);
                running.metrics.close();
            }
            Replication r = new Replication(service, config, tls, context, options);
            try {
                r.start();
            } catch (RuntimeException e) {
                r.close();   // lets go of the journal: the next build opens it again
                throw e;
            }
            if (r.journal != null) {
                OPEN.put(r.journalDir, r);
            }
            return r;
        }
    }

    private static Path journalDir(String service, BuildContext context) {
        return context.journalDir().resolve(service).toAbsolutePath().normalize();
    }

    /**
     * Commits the entries left in doubt by the last run without waiting for it: the build (a start, or a reload
     * that opens the journal) returns at once, while the service refuses writes until the commits are durable
     * ({@link InDoubt}). If they fail, the journal is let go, so that the next reload opens it again.
     */
    private void commitInDoubt() {
        if (inDoubt.pending().isEmpty()) {
            return;
        }
        log.info("service {}: committing {}; writes are refused until then", service, inDoubt.pending().get());
        inDoubt.commit(journal).whenComplete((v, error) -> {
            if (error == null) {
                log.info("service {}: the writes left in doubt by the last run are committed", service);
                onScheduler(this::tick);
            } else {
                Throwable cause = error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                onScheduler(() -> lose("writes left in doubt by the last run could not be committed ("
                        + inDoubt.count() + "): " + cause.getMessage()));
            }
        });
    }

    /** Runs {@code task} on the scheduler: never on the journal's writer thread, which closing the journal joins. */
    private void onScheduler(Runnable task) {
        try {
            context.scheduler().execute(task);
        } catch (RejectedExecutionException e) {
            log.debug("service {}: the gateway is stopping, its replication with it", service, e);
        }
    }

    /**
     * The journal takes no more writes: its writer stopped (or a failed write could not be cut back), or the
     * entries left in doubt could not be committed. Logged once. Writes answer 503 with the reason and the
     * service is not ready; deliveries stop, since no answer could be recorded (each entry would be sent again
     * and again), and deliveries and writes under way are given up; the journal is closed, so that it is
     * unlocked and the next reload opens it again, whose recovery finds what was left undecided in doubt and
     * commits it. The meters stay until then: the journal's failed writes, say.
     */
    private void lose(String reason) {
        synchronized (OPEN) {
            if (owners.get() == 0 || journalError != null) {
                return; // closed meanwhile, or lost already
            }
            journalError = reason;
            log.error("service {}: its journal takes no more writes; writes answer 503 and deliveries stop until a "
                    + "configuration reload opens it again: {}", service, reason);
            replicator.stop();
            writes.stop();
            timers.forEach(t -> t.cancel(false));
            try {
                closeJournal();
            } catch (RuntimeException e) {
                log.error("service {}: closing its journal: {}", service, e.getMessage());
            }
        }
    }

    /** Guarded by {@link #OPEN}: {@link #lose} and the last {@link #release} may both close it. */
    private void closeJournal() {
        if (journal != null && !journalClosed) {
            journalClosed = true;
            journal.close();
        }
    }

    private static void closeQuietly(Journal journal, Exception primary) {
        if (journal == null) {
            return;
        }
        try {
            journal.close();
        } catch (RuntimeException e) {
            primary.addSuppressed(e);
        }
    }

    private void start() {
        if (journal != null) {
            long tick = options.tick().toNanos();
            timers.add(context.scheduler().scheduleAtFixedRate(this::tick, tick, tick, TimeUnit.NANOSECONDS));
            timers.add(context.scheduler().scheduleWithFixedDelay(this::compact, 1, 1, TimeUnit.MINUTES));
            commitInDoubt();
        }
        startHealthChecks();
    }

    /**
     * The replicator's timer, which also notices a journal that takes no more writes; it runs on the scheduler,
     * where a failure must not end the schedule.
     */
    private void tick() {
        try {
            Optional<String> failure = journal.failure();
            if (failure.isPresent()) {
                lose(failure.get());
            } else if (journalError == null) {
                replicator.tick();
            }
        } catch (RuntimeException e) {
            log.error("service {}: replication tick failed: {}", service, e.toString());
        }
    }

    private void compact() {
        try {
            journal.compact();
        } catch (RuntimeException e) {
            log.error("service {}: journal compaction failed: {}", service, e.getMessage());
        }
    }

    private void startHealthChecks() {
        HttpHealthChecker old = healthChecker;
        if (old != null) {
            old.close();
        }
        healthChecker = config.healthCheck().map(hc -> {
            List<Endpoint> all = new ArrayList<>();
            replicaList.forEach(r -> all.addAll(r.endpoints()));
            double jitter = hc.interval().isZero() ? 0 : Math.min(1.0, hc.jitter().toNanos() / (double) hc.interval().toNanos());
            HttpHealthChecker checker = new HttpHealthChecker(new HealthCheckConfig(hc.path(), hc.expectedStatus().from(),
                    hc.expectedStatus().to(), hc.interval(), jitter, hc.timeout(), hc.unhealthyThreshold(),
                    hc.healthyThreshold()), all, new NettyHealthProbe(tls),
                    context.scheduler(), options.ticker(), options.random(), this::healthChanged);
            checker.start();
            return checker;
        }).orElse(null);
    }

    private void healthChanged(Endpoint endpoint, boolean healthy) {
        if (!healthy) {
            return;
        }
        for (Replica r : replicaList) {
            if (r.endpoints().contains(endpoint)) {
                r.reads().healthRestored();
                r.delivery().healthRestored();
            }
        }
        if (replicator != null) {
            context.scheduler().execute(this::tick);
        }
    }

    private static List<Endpoint> endpoints(ServiceConfig.Replica r, Map<String, Endpoint> previous) {
        List<Endpoint> out = new ArrayList<>();
        for (var url : r.endpoints()) {
            Endpoint fresh = Endpoint.of(url.toString(), 1, r.priority());
            Endpoint old = previous.get(fresh.id());
            out.add(old == null ? fresh : old.reconfigure(1, r.priority()));
        }
        return out;
    }

    /**
     * Takes a share of this replication for a reloaded configuration of the same service. Only what
     * may reject the reload happens now (a replica set that changed, a replication already closed); the
     * new settings (endpoints, priorities, timeouts, TLS, health checks, {@code notReachedStatuses},
     * {@code overprovisioningFactor}, {@code retention}) are applied on {@code onActivation}, once the new snapshot serves,
     * so that a snapshot rejected after this service was built leaves the running settings in force.
     * Either way the share is given up with {@link #release} when the new service is closed.
     */
    private Replication retainLocked(ServiceConfig.Replicated newConfig, UpstreamTls newTls,
                                     Consumer<Runnable> onActivation) {
        if (owners.get() == 0) {
            throw new IllegalStateException("service " + service + ": its replication is already closed");
        }
        if (!newConfig.replicas().keySet().equals(replicas.keySet())) {
            throw new IllegalStateException("service " + service + ": replicas " + replicas.keySet() + " -> "
                    + newConfig.replicas().keySet() + ": changing the replica names of a replicated service needs "
                    + "a restart (the journal records who is owed each write)");
        }
        owners.incrementAndGet();
        onActivation.accept(() -> apply(newConfig, newTls));
        return this;
    }

    /** A reload's settings, once its snapshot serves. */
    private void apply(ServiceConfig.Replicated newConfig, UpstreamTls newTls) {
        synchronized (OPEN) {
            if (owners.get() == 0) {
                return; // closed meanwhile: the gateway stopped
            }
            config = newConfig;
            tls = newTls;
            client.timeouts(newConfig.timeouts());
            client.tls(newTls);
            if (replicator != null) {
                replicator.notReachedStatuses(newConfig.notReachedStatuses());
                writes.factor(newConfig.overprovisioningFactor());
                if (journalError == null) {
                    journal.retention(newConfig.retention());
                }
            }
            Map<String, Endpoint> previous = new HashMap<>();
            replicaList.forEach(r -> r.endpoints().forEach(e -> previous.put(e.id(), e)));
            newConfig.replicas().forEach((name, r) -> replicas.get(name).reconfigure(r.priority(),
                    endpoints(r, previous)));
            startHealthChecks();
        }
    }

    /** Gives up one owner's share; the last one stops delivering and closes the journal. */
    void release() {
        synchronized (OPEN) {
            // Under the lock: a service added back must not take over a replication that is closing, and
            // must not open the journal before this one has let go of it.
            if (owners.decrementAndGet() != 0) {
                return;
            }
            OPEN.remove(journalDir, this);
            close();
        }
    }

    private void close() {
        CompletableFuture<Void> underWay = journal == null ? CompletableFuture.completedFuture(null)
                : CompletableFuture.allOf(replicator.stop(), writes.stop());
        timers.forEach(t -> t.cancel(false));
        HttpHealthChecker checker = healthChecker;
        if (checker != null) {
            checker.close();
        }
        awaitUnderWay(underWay);
        client.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        metrics.close();
        closeJournal();
    }

    /**
     * Waits, for at most a delivery's timeouts (and {@link #CLOSE_WAIT}), for the deliveries and writes under
     * way to end with their outcomes durable. One that takes longer is given up: its entry is sent again after
     * the next start, with its {@code Idempotency-Key}.
     */
    private void awaitUnderWay(CompletableFuture<Void> underWay) {
        Duration bound = config.timeouts().connect().plus(config.timeouts().responseHeader());
        long millis = Math.min(bound.toMillis(), CLOSE_WAIT.toMillis());
        try {
            underWay.get(millis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            log.warn("service {}: deliveries still under way after {} ms are given up; their entries are sent "
                    + "again after the next start", service, millis);
        } catch (ExecutionException e) {
            log.debug("service {}: a delivery under way failed while stopping", service, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    String service() {
        return service;
    }

    /** Null when the journal could not be opened; closed when {@link #journalError} says why it was lost. */
    Journal journal() {
        return journal;
    }

    /** Why the journal could not be opened or was lost; null while it serves. */
    String journalError() {
        return journalError;
    }

    /** Whether the journal takes the deliveries' answers; why not, while it refuses them. */
    RecordBackoff records() {
        return records;
    }

    /** The entries left in doubt when the journal opened, and whether they are committed yet. */
    InDoubt inDoubt() {
        return inDoubt;
    }

    /**
     * True when {@code r} may serve reads of {@code session}: it has every write of the session the gateway
     * acknowledged (G5), as far as the journal knows (without one, any replica may).
     */
    boolean mayServe(Replica r, String session) {
        return writes == null || session == null || (!inDoubt.blocks(session) && writes.mayServe(r, session));
    }

    /** Where the journal is kept (or was to be, when it could not be opened). */
    Path journalDir() {
        return journalDir;
    }

    Writes writes() {
        return writes;
    }

    List<Replica> replicas() {
        return replicaList;
    }

    Replica replica(String name) {
        return replicas.get(name);
    }

    Divergences divergences() {
        return divergences;
    }

    /** A time of {@link Options#ticker} as the admin API shows it: wall-clock text. */
    String wallTime(long tickerNanos) {
        return EndpointHealth.wall(tickerNanos, options.ticker(), context.clock());
    }

    /** What the admin API shows of the health checks' verdict on one of the replicas' endpoints. */
    Map<String, Object> activeHealth(Endpoint e) {
        return EndpointHealth.active(e, healthChecker, options.ticker(), context.clock());
    }

    /** Wakes the replicator (after a resume, say). */
    void wake() {
        if (replicator != null) {
            context.scheduler().execute(this::tick);
        }
    }
}
