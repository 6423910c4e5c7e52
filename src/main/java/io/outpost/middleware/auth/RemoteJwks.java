package io.outpost.middleware.auth;

import com.nimbusds.jose.jwk.JWKSet;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.outpost.config.TlsConfig;
import io.outpost.proxy.Background;
import io.outpost.proxy.OutboundClient;
import io.outpost.proxy.Transport;
import io.outpost.proxy.UpstreamTarget;
import io.outpost.tls.UpstreamTls;
import java.lang.ref.WeakReference;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keys from an identity provider's JWKS URL, fetched on the gateway's {@link Background} event loop
 * (never on a client's) through an {@link OutboundClient}, so that an https provider is verified with
 * the middleware's {@code tls} settings like any upstream, and cached. The cache is refreshed in the
 * background once it is older than {@code cacheDuration}, and at once when a token names an unknown
 * key id (key rotation), but never more often than once per {@code minRefreshInterval}, so tokens with
 * invented key ids cannot make the gateway hammer the provider. A provider that is down, slow or
 * answers garbage leaves the cached keys in place. Time comes from the injected clock.
 */
final class RemoteJwks implements KeySource {

    private static final Logger log = LoggerFactory.getLogger(RemoteJwks.class);
    static final int MAX_BODY = 512 * 1024;

    /** Every provider's fetches share one client; a fetch closes its connection, they are minutes apart. */
    private static final class Client {
        static final OutboundClient INSTANCE = new OutboundClient(Transport.best(), MAX_BODY);
    }

    private final URI url;
    private final UpstreamTarget target;
    private final String pathAndQuery;
    private final Clock clock;
    private final long cacheMillis;
    private final long minRefreshMillis;
    private final Duration timeout;
    private final AtomicReference<CompletableFuture<KeySet>> inFlight = new AtomicReference<>();
    private volatile KeySet keys = KeySet.EMPTY;
    private volatile long loadedAt = Long.MIN_VALUE / 2;
    private volatile long lastAttempt = Long.MIN_VALUE / 2;

    /** @param tls how an https provider is verified; null for the JDK's trust store */
    RemoteJwks(URI url, UpstreamTls tls, Clock clock, Duration cacheDuration, Duration minRefreshInterval,
            Duration timeout) {
        this.url = url;
        this.target = UpstreamTarget.of(url.toString(), tls);
        String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        this.pathAndQuery = url.getRawQuery() == null ? path : path + "?" + url.getRawQuery();
        this.clock = clock;
        this.cacheMillis = cacheDuration.toMillis();
        this.minRefreshMillis = minRefreshInterval.toMillis();
        this.timeout = timeout;
    }

    /**
     * What makes two configuration snapshots' sources the same: the URL, the TLS settings as written (the
     * files they name are read once, by the first snapshot), the clock and the timings.
     */
    private record Settings(URI url, Optional<TlsConfig.Upstream> tls, Clock clock, Duration cacheDuration,
                            Duration minRefreshInterval, Duration timeout) {
    }

    /** The sources in use, so that a configuration reload keeps the keys it had (weakly held: unused ones go). */
    private static final ConcurrentHashMap<Settings, WeakReference<RemoteJwks>> SHARED = new ConcurrentHashMap<>();

    /**
     * The source for these settings: the one an earlier configuration snapshot built, when it is still in use,
     * else a new one that starts fetching. A reload builds every middleware again; without sharing, the new
     * jwt middleware would start with no keys and answer 503 until the provider is reachable, which at a
     * store cut off from the cloud means until the link returns.
     */
    static RemoteJwks shared(String owner, URI url, Optional<TlsConfig.Upstream> tls, Clock clock,
                             Duration cacheDuration, Duration minRefreshInterval, Duration timeout) {
        SHARED.values().removeIf(ref -> ref.get() == null);
        Settings settings = new Settings(url, tls, clock, cacheDuration, minRefreshInterval, timeout);
        while (true) {
            WeakReference<RemoteJwks> ref = SHARED.get(settings);
            RemoteJwks existing = ref == null ? null : ref.get();
            if (existing != null) {
                return existing;
            }
            RemoteJwks fresh = new RemoteJwks(url, UpstreamTls.configured(owner, tls), clock, cacheDuration,
                    minRefreshInterval, timeout);
            WeakReference<RemoteJwks> mine = new WeakReference<>(fresh);
            boolean installed = ref == null ? SHARED.putIfAbsent(settings, mine) == null : SHARED.replace(settings, ref, mine);
            if (installed) {
                return fresh.start();
            }
        }
    }

    /** Starts the first fetch, so that keys are usually there before the first request. */
    RemoteJwks start() {
        refresh();
        return this;
    }

    @Override
    public KeySet current() {
        if (clock.millis() - loadedAt > cacheMillis) {
            refresh(); // stale: refresh in the background, serve what we have meanwhile
        }
        return keys;
    }

    @Override
    public CompletableFuture<KeySet> refresh() {
        CompletableFuture<KeySet> running = inFlight.get();
        if (running != null) {
            return running;
        }
        long now = clock.millis();
        if (now - lastAttempt < minRefreshMillis) {
            return null;
        }
        CompletableFuture<KeySet> mine = new CompletableFuture<>();
        if (!inFlight.compareAndSet(null, mine)) {
            CompletableFuture<KeySet> other = inFlight.get();
            return other != null ? other : null;
        }
        lastAttempt = now;
        Client.INSTANCE.send(target, this::request, Background.loop(), timeout, timeout).whenComplete((answer, error) -> {
            KeySet result = keys;
            try {
                if (error != null || !answer.reached()) {
                    Throwable cause = error != null ? error : answer.cause();
                    log.warn("JWKS {}: fetch failed, keeping {} cached keys: {}", url, keys.entries().size(), cause);
                } else if (answer.status() != 200) {
                    log.warn("JWKS {}: status {}, keeping {} cached keys", url, answer.status(), keys.entries().size());
                } else if (answer.truncated()) {
                    log.warn("JWKS {}: answer {}, keeping {} cached keys", url, answer.cause() == null
                            ? "larger than " + MAX_BODY + " bytes" : "broke off: " + answer.cause(), keys.entries().size());
                } else {
                    result = KeySet.of(JWKSet.parse(new String(answer.body(), StandardCharsets.UTF_8)));
                    keys = result;
                    loadedAt = clock.millis();
                }
            } catch (java.text.ParseException | RuntimeException e) {
                log.warn("JWKS {}: unusable answer, keeping {} cached keys: {}", url, keys.entries().size(), e.getMessage());
            } finally {
                inFlight.set(null);
                mine.complete(result);
            }
        });
        return mine;
    }

    private ByteBuf request(ByteBufAllocator alloc) {
        ByteBuf buf = alloc.buffer();
        OutboundClient.requestLine(buf, "GET", pathAndQuery);
        OutboundClient.header(buf, "Host", target.authority());
        OutboundClient.header(buf, "Accept", "application/json");
        OutboundClient.header(buf, "Connection", "close");
        return OutboundClient.endHead(buf);
    }
}
