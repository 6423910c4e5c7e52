package io.outpost.tls;

import io.outpost.config.OutpostConfig;
import io.outpost.config.RouterConfig;
import io.outpost.config.TlsConfig;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a certificate for every router that names a resolver in {@code tls.certResolver}: loads
 * stored ones, obtains missing ones, renews those with fewer than 30 days left, and hands the
 * current set to {@code publish} (the entry points' SNI mappings) without a restart. All ACME work
 * runs on one thread of its own, in order, so the storage file has a single writer and no event
 * loop ever waits for a CA.
 *
 * <pre>{@code
 * AcmeManager acme = new AcmeManager(Clock.systemUTC(), challenges, certs -> entryPoint.acmeCertificates(certs));
 * acme.apply(config).join();   // after the challenge entry point is listening
 * }</pre>
 */
public final class AcmeManager implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AcmeManager.class);
    static final Duration CHECK_INTERVAL = Duration.ofHours(1);

    /** One configured resolver and its open storage. */
    private record Resolver(TlsConfig.Acme config, AcmeStorage storage, AcmeClient client) {}

    private final Clock clock;
    private final Http01Challenges challenges;
    private final Consumer<List<CertifiedKey>> publish;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "outpost-acme");
        t.setDaemon(true);
        return t;
    });
    private Map<String, Resolver> resolvers = Map.of();
    /** Domain sets wanted per resolver, from the routers of the current configuration. */
    private Map<String, Set<List<String>>> wanted = Map.of();
    private final Map<List<String>, CertifiedKey> served = new LinkedHashMap<>();

    public AcmeManager(Clock clock, Http01Challenges challenges, Consumer<List<CertifiedKey>> publish) {
        this.clock = clock;
        this.challenges = challenges;
        this.publish = publish;
        long every = CHECK_INTERVAL.toMillis();
        thread.scheduleWithFixedDelay(this::checkQuietly, every, every, TimeUnit.MILLISECONDS);
    }

    /**
     * Takes the resolvers and routers of {@code config}; completes once every wanted certificate was
     * loaded or obtained (or failed, which is logged and retried at the next check).
     */
    public CompletableFuture<Void> apply(OutpostConfig config) {
        return CompletableFuture.runAsync(() -> {
            update(config);
            check();
        }, thread);
    }

    /** Renews what is due by the injected clock; completes when done. */
    public CompletableFuture<Void> checkNow() {
        return CompletableFuture.runAsync(this::check, thread);
    }

    /** The certificates served now, by domain set. */
    public CompletableFuture<Map<List<String>, CertifiedKey>> served() {
        return CompletableFuture.supplyAsync(() -> Map.copyOf(served), thread);
    }

    private void update(OutpostConfig config) {
        Map<String, Resolver> next = new LinkedHashMap<>();
        config.certificatesResolvers().forEach((name, resolver) -> {
            Resolver old = resolvers.get(name);
            if (old != null && old.config().equals(resolver.acme())) {
                next.put(name, old);
                return;
            }
            AcmeStorage storage = new AcmeStorage(resolver.acme().storage());
            try {
                storage.load();
            } catch (IOException e) {
                log.error("resolver {}: cannot read {}; starting from an empty store: {}", name, storage.file(),
                        e.getMessage());
            }
            next.put(name, new Resolver(resolver.acme(), storage, new AcmeClient(name, resolver.acme(), storage, challenges)));
        });
        Map<String, Set<List<String>>> domains = new LinkedHashMap<>();
        config.http().routers().forEach((routerName, router) -> {
            String resolver = router.tls().flatMap(TlsConfig.Router::certResolver).orElse(null);
            if (resolver == null || !next.containsKey(resolver)) {
                return;
            }
            List<String> names = domainsOf(routerName, router);
            if (!names.isEmpty()) {
                domains.computeIfAbsent(resolver, k -> new LinkedHashSet<>()).add(names);
            }
        });
        resolvers = next;
        wanted = domains;
    }

    private static List<String> domainsOf(String routerName, RouterConfig router) {
        try {
            List<String> names = RouterDomains.of(router);
            if (names.isEmpty()) {
                log.error("router {}: no domains for its certificate (expected tls.domains or a Host rule)", routerName);
            }
            return names;
        } catch (RuntimeException e) {
            log.error("router {}: cannot read the domains of its rule: {}", routerName, e.getMessage());
            return List.of();
        }
    }

    private void checkQuietly() {
        try {
            check();
        } catch (RuntimeException e) {
            log.error("ACME check failed", e);
        }
    }

    /**
     * Serves at once every stored certificate that is still valid (no CA involved), then obtains or
     * renews what is due, one domain set at a time, serving each new certificate as soon as it is
     * issued. An order that waits for a slow or unreachable CA thus never holds back the others.
     */
    private void check() {
        Map<List<String>, CertifiedKey> current = new LinkedHashMap<>();
        List<Runnable> due = new ArrayList<>();
        wanted.forEach((name, sets) -> {
            Resolver resolver = resolvers.get(name);
            for (List<String> domains : sets) {
                CertifiedKey stored = stored(name, resolver, domains);
                RenewalPolicy.Decision decision = stored == null ? RenewalPolicy.Decision.OBTAIN
                        : RenewalPolicy.decide(stored.leaf().getNotBefore().toInstant(), stored.notAfter(), clock.instant());
                if (stored != null && clock.instant().isBefore(stored.notAfter())) {
                    current.put(domains, stored);
                }
                if (decision != RenewalPolicy.Decision.KEEP) {
                    due.add(() -> {
                        CertifiedKey fresh = obtain(name, resolver, domains, decision);
                        if (fresh != null) {
                            current.put(domains, fresh);
                            publishIfChanged(ordered(current));
                        }
                    });
                }
            }
        });
        publishIfChanged(ordered(current));
        for (Runnable order : due) {
            order.run();
        }
    }

    /** {@code certificates} in the order the configuration wants them (the first is the default one). */
    private Map<List<String>, CertifiedKey> ordered(Map<List<String>, CertifiedKey> certificates) {
        Map<List<String>, CertifiedKey> out = new LinkedHashMap<>();
        wanted.values().forEach(sets -> sets.forEach(domains -> {
            CertifiedKey cert = certificates.get(domains);
            if (cert != null) {
                out.putIfAbsent(domains, cert);
            }
        }));
        return out;
    }

    private void publishIfChanged(Map<List<String>, CertifiedKey> next) {
        if (!next.equals(served) || !List.copyOf(next.keySet()).equals(List.copyOf(served.keySet()))) {
            served.clear();
            served.putAll(next);
            publish.accept(new ArrayList<>(next.values()));
        }
    }

    /** A new certificate for {@code domains}, or null when the CA did not give one (logged; retried later). */
    private CertifiedKey obtain(String name, Resolver resolver, List<String> domains, RenewalPolicy.Decision decision) {
        try {
            log.info("resolver {}: {} a certificate for {}", name,
                    decision == RenewalPolicy.Decision.OBTAIN ? "obtaining" : "renewing", domains);
            CertifiedKey fresh = resolver.client().obtain(domains);
            log.info("resolver {}: certificate for {} valid until {}", name, domains, fresh.notAfter());
            return fresh;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (Exception e) {
            log.error("resolver {}: cannot obtain a certificate for {} (retried within {}): {}", name, domains,
                    CHECK_INTERVAL, e.toString());
            return null;
        }
    }

    private static CertifiedKey stored(String name, Resolver resolver, List<String> domains) {
        return resolver.storage().certificate(domains).map(s -> {
            try {
                return s.certifiedKey();
            } catch (IOException e) {
                log.warn("resolver {}: the stored certificate for {} is unusable: {}", name, domains, e.getMessage());
                return null;
            }
        }).orElse(null);
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
