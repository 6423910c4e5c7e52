package io.outpost.middleware.auth;

import com.nimbusds.jose.jwk.JWKSet;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.lang.ref.WeakReference;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keys from an identity provider's JWKS URL, fetched with the JDK client's async API (never on an event
 * loop) and cached. The cache is refreshed in the background once it is older than
 * {@code cacheDuration}, and at once when a token names an unknown key id (key rotation), but never
 * more often than once per {@code minRefreshInterval}, so tokens with invented key ids cannot make the
 * gateway hammer the provider. A provider that is down, slow or answers garbage leaves the cached keys
 * in place. Time comes from the injected clock.
 */
final class RemoteJwks implements KeySource {

    private static final Logger log = LoggerFactory.getLogger(RemoteJwks.class);
    static final int MAX_BODY = 512 * 1024;

    private final URI url;
    private final HttpClient client;
    private final Clock clock;
    private final long cacheMillis;
    private final long minRefreshMillis;
    private final Duration timeout;
    private final AtomicReference<CompletableFuture<KeySet>> inFlight = new AtomicReference<>();
    private volatile KeySet keys = KeySet.EMPTY;
    private volatile long loadedAt = Long.MIN_VALUE / 2;
    private volatile long lastAttempt = Long.MIN_VALUE / 2;

    RemoteJwks(URI url, HttpClient client, Clock clock, Duration cacheDuration, Duration minRefreshInterval,
            Duration timeout) {
        this.url = url;
        this.client = client;
        this.clock = clock;
        this.cacheMillis = cacheDuration.toMillis();
        this.minRefreshMillis = minRefreshInterval.toMillis();
        this.timeout = timeout;
    }

    private record Settings(URI url, HttpClient client, Clock clock, Duration cacheDuration,
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
    static RemoteJwks shared(URI url, HttpClient client, Clock clock, Duration cacheDuration,
                             Duration minRefreshInterval, Duration timeout) {
        SHARED.values().removeIf(ref -> ref.get() == null);
        Settings settings = new Settings(url, client, clock, cacheDuration, minRefreshInterval, timeout);
        while (true) {
            WeakReference<RemoteJwks> ref = SHARED.get(settings);
            RemoteJwks existing = ref == null ? null : ref.get();
            if (existing != null) {
                return existing;
            }
            RemoteJwks fresh = new RemoteJwks(url, client, clock, cacheDuration, minRefreshInterval, timeout);
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
        HttpRequest request = HttpRequest.newBuilder(url).timeout(timeout).header("Accept", "application/json").GET().build();
        client.sendAsync(request, BoundedBody.handler(MAX_BODY)).handle((response, error) -> {
            KeySet result = keys;
            try {
                if (error != null) {
                    log.warn("JWKS {}: fetch failed, keeping {} cached keys: {}", url, keys.entries().size(), error.toString());
                } else if (response.statusCode() != 200) {
                    log.warn("JWKS {}: status {}, keeping {} cached keys", url, response.statusCode(), keys.entries().size());
                } else {
                    result = KeySet.of(JWKSet.parse(new String(response.body(), StandardCharsets.UTF_8)));
                    keys = result;
                    loadedAt = clock.millis();
                }
            } catch (java.text.ParseException | RuntimeException e) {
                log.warn("JWKS {}: unusable answer, keeping {} cached keys: {}", url, keys.entries().size(), e.getMessage());
            } finally {
                inFlight.set(null);
                mine.complete(result);
            }
            return null;
        });
        return mine;
    }
}
