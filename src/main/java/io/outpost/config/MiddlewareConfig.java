package io.outpost.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One middleware definition. Each entry in the file names exactly one type, and each type is a record
 * here, so the builder that turns them into handlers is a switch the compiler checks for completeness.
 */
public sealed interface MiddlewareConfig {

    /** The key that names this type in the file, for example {@code stripPrefix}. */
    String type();

    /** Removes the first matching prefix from the path. */
    record StripPrefix(List<String> prefixes) implements MiddlewareConfig {
        public StripPrefix {
            prefixes = List.copyOf(prefixes);
        }

        @Override
        public String type() {
            return "stripPrefix";
        }
    }

    /** Puts a prefix in front of the path. */
    record AddPrefix(String prefix) implements MiddlewareConfig {
        public AddPrefix {
            Objects.requireNonNull(prefix, "prefix");
        }

        @Override
        public String type() {
            return "addPrefix";
        }
    }

    /** Replaces the whole path. */
    record ReplacePath(String path) implements MiddlewareConfig {
        public ReplacePath {
            Objects.requireNonNull(path, "path");
        }

        @Override
        public String type() {
            return "replacePath";
        }
    }

    /** Sets request and response headers; an empty value removes the header, as in Traefik. */
    record Headers(Map<String, String> customRequestHeaders, Map<String, String> customResponseHeaders)
            implements MiddlewareConfig {
        public Headers {
            customRequestHeaders = Copies.map(customRequestHeaders);
            customResponseHeaders = Copies.map(customResponseHeaders);
        }

        @Override
        public String type() {
            return "headers";
        }
    }

    /** Redirects to another scheme (and optionally port); {@code permanent} picks 301/308 over 302/307 (GET and HEAD get the first), as in Traefik. */
    record RedirectScheme(String scheme, OptionalInt port, boolean permanent) implements MiddlewareConfig {
        public RedirectScheme {
            Objects.requireNonNull(scheme, "scheme");
            Objects.requireNonNull(port, "port");
        }

        @Override
        public String type() {
            return "redirectScheme";
        }
    }

    /** Answers 403 to clients outside the listed ranges. */
    record IpAllowList(List<Cidr> sourceRange) implements MiddlewareConfig {
        public IpAllowList {
            sourceRange = List.copyOf(sourceRange);
        }

        @Override
        public String type() {
            return "ipAllowList";
        }
    }

    /** Answers 413 to request bodies over {@code limit} bytes. */
    record MaxBodySize(long limit) implements MiddlewareConfig {
        @Override
        public String type() {
            return "maxBodySize";
        }
    }

    /** Caps concurrent requests per source (client IP or a header's value); the excess gets 429. */
    record InFlightReq(int amount, RequestKey sourceCriterion) implements MiddlewareConfig {
        public InFlightReq {
            Objects.requireNonNull(sourceCriterion, "sourceCriterion");
        }

        @Override
        public String type() {
            return "inFlightReq";
        }
    }

    /** Reads the whole request body before forwarding, so a slow client holds no upstream connection. */
    record Buffering(long maxRequestBodyBytes) implements MiddlewareConfig {
        public static final long DEFAULT_MAX_REQUEST_BODY_BYTES = 2_000_000L;

        @Override
        public String type() {
            return "buffering";
        }
    }

    /**
     * Opens when, over {@code window} and at least {@code minRequests} requests, the error ratio reaches
     * {@code errorRatio} or the mean latency exceeds {@code latencyThreshold}; answers 503 for
     * {@code fallbackDuration}, then ramps traffic back over {@code recoveryDuration}.
     */
    record CircuitBreaker(
            Optional<Double> errorRatio,
            Optional<Duration> latencyThreshold,
            int minRequests,
            Duration window,
            Duration fallbackDuration,
            Duration recoveryDuration) implements MiddlewareConfig {
        public static final int DEFAULT_MIN_REQUESTS = 10;
        public static final Duration DEFAULT_WINDOW = Duration.ofSeconds(10);
        public static final Duration DEFAULT_FALLBACK_DURATION = Duration.ofSeconds(10);
        public static final Duration DEFAULT_RECOVERY_DURATION = Duration.ofSeconds(10);

        public CircuitBreaker {
            Objects.requireNonNull(errorRatio, "errorRatio");
            Objects.requireNonNull(latencyThreshold, "latencyThreshold");
            Objects.requireNonNull(window, "window");
            Objects.requireNonNull(fallbackDuration, "fallbackDuration");
            Objects.requireNonNull(recoveryDuration, "recoveryDuration");
        }

        @Override
        public String type() {
            return "circuitBreaker";
        }
    }

    /** Retries a request that could not reach the service, with exponential backoff from {@code initialInterval}. */
    record Retry(int attempts, Duration initialInterval) implements MiddlewareConfig {
        public static final Duration DEFAULT_INITIAL_INTERVAL = Duration.ofMillis(100);

        public Retry {
            Objects.requireNonNull(initialInterval, "initialInterval");
        }

        @Override
        public String type() {
            return "retry";
        }
    }

    /**
     * Validates a bearer JWT against keys from {@code jwksUrl}, {@code jwksFile} or an HMAC secret
     * ({@code secret} inline or {@code secretEnv}), then checks issuer, audience, time and scopes.
     */
    record Jwt(
            Optional<String> jwksUrl,
            Optional<Path> jwksFile,
            @Secret Optional<String> secret,
            Optional<String> secretEnv,
            Optional<String> issuer,
            List<String> audience,
            Duration clockSkew,
            List<String> requiredScopes,
            Map<String, String> claimsToHeaders,
            boolean forwardToken,
            Optional<String> consumerClaim,
            Duration jwksCacheDuration,
            Duration jwksMinRefreshInterval,
            Optional<TlsConfig.Upstream> tls) implements MiddlewareConfig {
        public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(30);
        public static final Duration DEFAULT_JWKS_CACHE_DURATION = Duration.ofMinutes(10);
        public static final Duration DEFAULT_JWKS_MIN_REFRESH_INTERVAL = Duration.ofSeconds(30);

        public Jwt {
            Objects.requireNonNull(jwksUrl, "jwksUrl");
            Objects.requireNonNull(jwksFile, "jwksFile");
            Objects.requireNonNull(secret, "secret");
            Objects.requireNonNull(secretEnv, "secretEnv");
            Objects.requireNonNull(issuer, "issuer");
            audience = List.copyOf(audience);
            Objects.requireNonNull(clockSkew, "clockSkew");
            requiredScopes = List.copyOf(requiredScopes);
            claimsToHeaders = Copies.map(claimsToHeaders);
            Objects.requireNonNull(consumerClaim, "consumerClaim");
            Objects.requireNonNull(jwksCacheDuration, "jwksCacheDuration");
            Objects.requireNonNull(jwksMinRefreshInterval, "jwksMinRefreshInterval");
            Objects.requireNonNull(tls, "tls");
        }

        /** Keys from a provider reached with the JDK's trust store when its jwksUrl is https. */
        public Jwt(Optional<String> jwksUrl, Optional<Path> jwksFile, Optional<String> secret, Optional<String> secretEnv,
                   Optional<String> issuer, List<String> audience, Duration clockSkew, List<String> requiredScopes,
                   Map<String, String> claimsToHeaders, boolean forwardToken, Optional<String> consumerClaim,
                   Duration jwksCacheDuration, Duration jwksMinRefreshInterval) {
            this(jwksUrl, jwksFile, secret, secretEnv, issuer, audience, clockSkew, requiredScopes, claimsToHeaders,
                    forwardToken, consumerClaim, jwksCacheDuration, jwksMinRefreshInterval, Optional.empty());
        }

        @Override
        public String type() {
            return "jwt";
        }
    }

    /** Identifies the consumer by an API key in a header or query parameter, matched against SHA-256 hashes. */
    record ApiKey(String header, Optional<String> query, List<ApiKeyEntry> keys, boolean forwardKey)
            implements MiddlewareConfig {
        public static final String DEFAULT_HEADER = "X-API-Key";

        public ApiKey {
            Objects.requireNonNull(header, "header");
            Objects.requireNonNull(query, "query");
            keys = List.copyOf(keys);
        }

        @Override
        public String type() {
            return "apiKey";
        }
    }

    /** One API key: the consumer it identifies and the hex SHA-256 of the key. */
    record ApiKeyEntry(String consumer, @Secret String sha256) {
        public ApiKeyEntry {
            Objects.requireNonNull(consumer, "consumer");
            Objects.requireNonNull(sha256, "sha256");
        }
    }

    /** HTTP Basic authentication against {@code name:bcrypt-hash} users; the user becomes the consumer. */
    record BasicAuth(@Secret List<String> users, String realm, boolean removeHeader) implements MiddlewareConfig {
        public static final String DEFAULT_REALM = "outpost";

        public BasicAuth {
            users = List.copyOf(users);
            Objects.requireNonNull(realm, "realm");
        }

        @Override
        public String type() {
            return "basicAuth";
        }
    }

    /**
     * Asks an external service at {@code address} whether a request may pass, as Traefik's forwardAuth
     * does; {@code tls} is how an https address is verified (the keys of {@code loadBalancer.tls}).
     */
    record ForwardAuth(
            String address,
            List<String> authResponseHeaders,
            List<String> authRequestHeaders,
            boolean trustForwardHeader,
            Duration timeout,
            Optional<TlsConfig.Upstream> tls) implements MiddlewareConfig {
        public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

        public ForwardAuth {
            Objects.requireNonNull(address, "address");
            authResponseHeaders = List.copyOf(authResponseHeaders);
            authRequestHeaders = List.copyOf(authRequestHeaders);
            Objects.requireNonNull(timeout, "timeout");
            Objects.requireNonNull(tls, "tls");
        }

        /** An auth server reached with the JDK's trust store when its address is https. */
        public ForwardAuth(String address, List<String> authResponseHeaders, List<String> authRequestHeaders,
                           boolean trustForwardHeader, Duration timeout) {
            this(address, authResponseHeaders, authRequestHeaders, trustForwardHeader, timeout, Optional.empty());
        }

        @Override
        public String type() {
            return "forwardAuth";
        }
    }

    /** A token bucket per source: {@code average} requests per {@code period}, bursts of up to {@code burst}. */
    record RateLimit(long average, Duration period, long burst, RequestKey sourceCriterion, int maxKeys)
            implements MiddlewareConfig {
        public static final Duration DEFAULT_PERIOD = Duration.ofSeconds(1);
        public static final int DEFAULT_MAX_KEYS = 100_000;

        public RateLimit {
            Objects.requireNonNull(period, "period");
            Objects.requireNonNull(sourceCriterion, "sourceCriterion");
        }

        @Override
        public String type() {
            return "rateLimit";
        }
    }

    /** At most {@code limit} requests per key in each fixed {@code period} window aligned to the epoch; persisted. */
    record Quota(long limit, Duration period, RequestKey key, int maxKeys) implements MiddlewareConfig {
        public static final Duration DEFAULT_PERIOD = Duration.ofHours(24);
        public static final int DEFAULT_MAX_KEYS = 100_000;

        public Quota {
            Objects.requireNonNull(period, "period");
            Objects.requireNonNull(key, "key");
        }

        @Override
        public String type() {
            return "quota";
        }
    }
}
