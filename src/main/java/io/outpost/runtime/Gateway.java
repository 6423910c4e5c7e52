package io.outpost.runtime;

import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.outpost.admin.AdminApi;
import io.outpost.admin.AdminServer;
import io.outpost.config.AccessLogConfig;
import io.outpost.config.ConfigError;
import io.outpost.config.ConfigLoader;
import io.outpost.config.ConfigResult;
import io.outpost.config.EntryPointConfig;
import io.outpost.config.OutpostConfig;
import io.outpost.config.RuleChecker;
import io.outpost.observability.AccessLogWriter;
import io.outpost.proxy.AccessLog;
import io.outpost.proxy.EntryPoint;
import io.outpost.proxy.ForwardedTrust;
import io.outpost.proxy.ForwardOptions;
import io.outpost.proxy.GatewayContext;
import io.outpost.proxy.ProxyServer;
import io.outpost.proxy.Routing;
import io.outpost.proxy.Transport;
import io.outpost.provider.FileProvider;
import io.outpost.provider.SnapshotRejectedException;
import io.outpost.service.Service;
import io.outpost.tls.TlsRuntime;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.function.LongSupplier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running gateway: a file provider feeding configuration snapshots, the proxy serving the
 * current one, and the admin server showing it. Entry points, the admin address and
 * {@code journal.dir} are bound at start; a reload that changes them is logged and needs a restart,
 * as in Traefik.
 *
 * <pre>{@code
 * try (Gateway gateway = Gateway.start(Path.of("outpost.yaml"), Options.defaults())) {
 *     gateway.awaitShutdownSignal();
 * }
 * }</pre>
 */
public final class Gateway implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Gateway.class);

    /**
     * Settings of the process rather than of the configuration file.
     *
     * @param clock the wall clock: timestamps, certificate validity, journal records
     * @param warmup the longest {@link Warmup start-up warm-up} before the entry points open; zero skips it
     * @param nanoTime a monotonic time source for intervals that must not follow a step of the wall clock
     *     (how long a replaced configuration stays open); {@link System#nanoTime} unless a test moves it
     */
    public record Options(int workers, Clock clock, ServiceFactory services, Duration warmup, LongSupplier nanoTime) {
        public Options {
            if (warmup.isNegative()) {
                throw new IllegalArgumentException("warmup: " + warmup + " (expected: >= 0)");
            }
        }

        public Options(int workers, Clock clock, ServiceFactory services) {
            this(workers, clock, services, Duration.ZERO, System::nanoTime);
        }

        public static Options defaults() {
            return new Options(Runtime.getRuntime().availableProcessors(), Clock.systemUTC(), new ServiceFactory());
        }

        public Options workers(int n) {
            return new Options(n, clock, services, warmup, nanoTime);
        }

        public Options warmup(Duration budget) {
            return new Options(workers, clock, services, budget, nanoTime);
        }

        public Options nanoTime(LongSupplier source) {
            return new Options(workers, clock, services, warmup, source);
        }
    }

    private final Options options;
    private final RuntimeBuilder builder;
    private final java.util.concurrent.ScheduledExecutorService scheduler;
    /** The event loops that serve clients; replicated services deliver on them too. */
    private final EventLoopGroup loops;
    private final GatewayContext context;
    private final AtomicReference<GatewayRuntime> runtime = new AtomicReference<>();
    private final AtomicBoolean stopped = new AtomicBoolean();
    /** Replaced snapshots whose in-flight requests may still run; closed after a grace period, or at shutdown. */
    private final Retirement retirement;
    private final FileProvider provider;
    private final TlsRuntime tls;
    private final GatewayMeters meters = new GatewayMeters(runtime::get);
    /**
     * Held while a snapshot is built and swapped in, and while meters of what the serving configuration no
     * longer has are removed: a sweep must never run against an older configuration than the one whose
     * services were just built (it would remove meters they hold).
     */
    private final Object swapLock = new Object();
    private ProxyServer proxy;
    private AdminServer admin;
    private AccessLogWriter accessLog;
    private OutpostConfig boundConfig;
    /**
     * The {@code journal.dir} of the first snapshot applied: every later snapshot keeps its journals (and
     * quota counts) there. A journal stays open and locked across reloads while its service runs, so a
     * directory changed by a reload would hold a second journal of the same service beside the first.
     */
    private volatile Path journalDir;
    /** The {@code accessLog} section the current writer was made for; null before the first. */
    private AccessLogConfig accessLogConfig;
    /** Why the last snapshot could not be built; for the start-up failure message. */
    private volatile String lastApplyFailure = "see the log";
    /** Why the entry points are not open yet, or null once they are. */
    private volatile String starting = "no configuration serves yet";
    /** What the start-up warm-up did, or null when there was none. */
    private volatile Warmup.Report warmup;

    private Gateway(Path file, Options options) {
        this.options = options;
        this.scheduler = java.util.concurrent.Executors.newScheduledThreadPool(1, r -> {
            Thread t = new Thread(r, "outpost-scheduler");
            t.setDaemon(true);
            return t;
        });
        this.loops = Transport.best().newGroup(options.workers(), "outpost-loop");
        this.builder = new RuntimeBuilder(options.services(), meters.registry(), scheduler, options.clock(), loops);
        this.context = new GatewayContext(Transport.best(), PooledByteBufAllocator.DEFAULT,
                GatewayContext.SYSTEM_NANOS, ForwardOptions.DEFAULT_IDLE_MILLIS);
        meters.record(context);
        this.tls = new TlsRuntime(scheduler, options.clock(), TlsRuntime.DEFAULT_POLL);
        this.retirement = new Retirement(scheduler, options.nanoTime(), Retirement.GRACE, Retirement.SWEEP);
        this.provider = FileProvider.builder(file, this::apply).loader(new ConfigLoader(RuleChecker.installed())).build();
    }

    /** Loads {@code file}, binds every entry point and the admin server, and starts serving. */
    public static Gateway start(Path file, Options options) throws InterruptedException {
        Gateway gateway = new Gateway(file, options);
        try {
            gateway.startServing();
        } catch (RuntimeException | InterruptedException e) {
            gateway.close();
            throw e;
        }
        return gateway;
    }

    private void startServing() throws InterruptedException {
        ConfigResult first = provider.start();
        if (!first.isValid()) {
            throw new InvalidConfigurationException(first.errors());
        }
        OutpostConfig config = first.orElseThrow();
        if (runtime.get() == null) {
            throw new IllegalStateException("configuration could not be applied: " + lastApplyFailure);
        }
        boundConfig = config;
        try {
            tls.bind(config);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("TLS certificates cannot be loaded: " + e.getMessage(), e);
        }
        List<EntryPoint> entryPoints = new ArrayList<>();
        for (Map.Entry<String, EntryPointConfig> e : config.entryPoints().entrySet()) {
            EntryPointConfig ep = e.getValue();
            entryPoints.add(entryPoint(e.getKey(), ep, new InetSocketAddress(ep.address().host(), ep.address().port()),
                    tls.entryPoint(e.getKey())));
        }
        // Every address is bound before the warm-up, so that one in use fails start-up at once, and the admin
        // server answers /health, and /ready with the reason, while the warm-up runs.
        proxy = new ProxyServer(context, Transport.best(), loops, entryPoints);
        proxy.bind();
        admin = new AdminServer(new InetSocketAddress(config.admin().address().host(), config.admin().address().port()));
        config.admin().auth().ifPresent(auth -> admin.bearerToken(auth.token()));
        AdminApi.install(admin, this);
        admin.start();
        if (!options.warmup().isZero()) {
            warmUp(config);
        }
        proxy.accept();
        starting = null;
        tls.certificates(config);
    }

    private static EntryPoint entryPoint(String name, EntryPointConfig ep, InetSocketAddress address,
                                         io.outpost.tls.EntryPointTls entryPointTls) {
        return new EntryPoint(name, address, ep.idleTimeout().toMillis(), entryPointTls,
                ForwardedTrust.of(ep.forwardedHeaders().insecure(), ep.forwardedHeaders().trustedIPs()))
                .readTimeout(ep.readTimeout());
    }

    /** Runs the {@link Warmup} on the gateway's own loops, with the settings of the first plain-text entry point. */
    private void warmUp(OutpostConfig config) {
        starting = "warming up before the entry points open";
        EntryPointConfig settings = config.entryPoints().entrySet().stream()
                .filter(e -> tls.entryPoint(e.getKey()) == null)
                .map(Map.Entry::getValue)
                .findFirst().orElse(config.entryPoints().values().iterator().next());
        Warmup.Report report = warmup = new Warmup(loops, Transport.best(), options.services(), scheduler, options.clock(),
                journalDir, tls::wrap, address -> entryPoint(Warmup.ENTRY_POINT, settings, address, null),
                Warmup.jitCompileMillis(), System::nanoTime).run(options.warmup());
        log.info("warmed up in {} ms: {} requests in {} cycles, stopped because {}", report.took().toMillis(),
                report.requests(), report.cycles(), report.outcome());
    }

    /**
     * Builds and swaps in a new snapshot. On failure the running one stays, and the provider is told
     * so that it reads the file again on its next save.
     */
    private void apply(OutpostConfig config) {
        synchronized (swapLock) {
            swapIn(config);
        }
    }

    private void swapIn(OutpostConfig config) {
        GatewayRuntime next;
        Path bound = journalDir == null ? config.journal().dir() : journalDir;
        try {
            next = builder.build(config, runtime.get(), bound);
        } catch (RuntimeException e) {
            lastApplyFailure = String.valueOf(e.getMessage());
            throw new SnapshotRejectedException(lastApplyFailure, e);
        }
        if (boundConfig != null && !boundConfig.entryPoints().equals(config.entryPoints())) {
            log.warn("entry point changes take effect after a restart");
        }
        if (journalDir == null) {
            journalDir = bound;
        } else if (!sameDirectory(bound, config.journal().dir())) {
            log.warn("journal.dir changes take effect after a restart: journals stay in {}", bound);
        }
        installAccessLog(config);
        applyAdminAuth(config);
        GatewayRuntime previous = runtime.get();
        Routing routing = tls.wrap(next);
        // Before the first request reaches a new router, and after nothing can fail the swap any more.
        meters.route(config);
        context.routing(routing);
        // Only now may the new services change what the replaced ones still share with them.
        next.activate();
        // runtime() shows a snapshot once what it deferred to its activation is in force.
        runtime.set(next);
        if (proxy != null) {
            tls.certificates(config);
        }
        meters.sweep(next);
        if (previous != null) {
            // In-flight requests finish on the snapshot they started with; its services stop later.
            retirement.retire(previous);
        }
        log.info("configuration applied: {} routers, {} services", config.http().routers().size(),
                config.http().services().size());
    }

    private static boolean sameDirectory(Path a, Path b) {
        return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
    }

    /**
     * A token written into the file replaces the admin server's at once, so that rotating a leaked token
     * revokes it. The address is bound at start; removing the token is honoured only while the address is
     * the one bound (validation then guarantees it is loopback), never for a server still listening on an
     * address that demanded one.
     */
    private void applyAdminAuth(OutpostConfig config) {
        if (admin == null || boundConfig == null) {
            return;
        }
        boolean sameAddress = boundConfig.admin().address().equals(config.admin().address());
        if (!sameAddress) {
            log.warn("admin address changes take effect after a restart");
        }
        if (config.admin().auth().isPresent()) {
            admin.bearerToken(config.admin().auth().get().token());
        } else if (sameAddress) {
            admin.bearerToken(null);
        } else {
            log.warn("admin.auth removed but the admin server still listens on {}: keeping its token until a restart",
                    boundConfig.admin().address());
        }
    }

    /** Makes a new access log writer only when the {@code accessLog} section changed since the last one applied. */
    private void installAccessLog(OutpostConfig config) {
        AccessLogWriter old = accessLog;
        if (config.accessLog().equals(accessLogConfig)) {
            return;
        }
        accessLogConfig = config.accessLog();
        accessLog = config.accessLog().enabled() ? new AccessLogWriter(config.accessLog(), options.clock()) : null;
        context.accessLog(accessLog == null ? AccessLog.NONE : accessLog);
        if (old != null) {
            old.close();
        }
    }

    Warmup.Report warmup() {
        return warmup;
    }

    public GatewayRuntime runtime() {
        return runtime.get();
    }

    /** Where every part of the gateway registers its meters; {@code /metrics} renders it. */
    public PrometheusMeterRegistry metrics() {
        return meters.registry();
    }

    public GatewayContext context() {
        return context;
    }

    public ProxyServer proxy() {
        return proxy;
    }

    /** Certificates: entry points' TLS and ACME. */
    public TlsRuntime tls() {
        return tls;
    }

    public AdminServer admin() {
        return admin;
    }

    public boolean ready() {
        return notReady().isEmpty();
    }

    /**
     * Why the gateway is not ready, or empty once it serves a configuration with every entry point bound
     * and every replicated service's journal open (DESIGN: {@code /ready}).
     */
    public Optional<String> notReady() {
        GatewayRuntime serving = runtime.get();
        String notOpen = starting;
        if (notOpen != null || serving == null) {
            return Optional.of(notOpen != null ? notOpen : "no configuration serves yet");
        }
        for (Map.Entry<String, Service> s : serving.services().entrySet()) {
            Optional<String> why = s.getValue().notReady();
            if (why.isPresent()) {
                return Optional.of("service " + s.getKey() + ": " + why.get());
            }
        }
        return Optional.empty();
    }

    /**
     * Stops accepting, drains in-flight requests for up to the entry points' grace timeout, then stops.
     * Returns how many requests were still in flight when the grace ran out; a second call does nothing.
     */
    public int shutdown() {
        if (!stopped.compareAndSet(false, true)) {
            return 0;
        }
        provider.close();
        Duration grace = boundConfig == null ? Duration.ZERO : boundConfig.entryPoints().values().stream()
                .map(EntryPointConfig::graceTimeout).max(Duration::compareTo).orElse(Duration.ZERO);
        int left = proxy == null ? 0 : proxy.shutdown(grace, GatewayContext.SYSTEM_NANOS);
        if (admin != null) {
            admin.close();
        }
        GatewayRuntime last = runtime.getAndSet(null);
        if (last != null) {
            last.close();
        }
        // Snapshots replaced shortly before still share journals (replicated services): close them now,
        // so that every journal is closed (and unlocked) when the gateway has stopped.
        retirement.close();
        if (accessLog != null) {
            accessLog.close();
        }
        tls.close();
        meters.close();
        scheduler.shutdownNow();
        if (proxy == null) {
            loops.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS);
        }
        return left;
    }

    @Override
    public void close() {
        shutdown();
    }

    /** Thrown by {@link #start} when the first configuration is invalid; lists every error. */
    public static final class InvalidConfigurationException extends RuntimeException {
        private final List<ConfigError> errors;

        InvalidConfigurationException(List<ConfigError> errors) {
            super("invalid configuration (" + errors.size() + " errors)");
            this.errors = List.copyOf(errors);
        }

        public List<ConfigError> errors() {
            return errors;
        }
    }
}
