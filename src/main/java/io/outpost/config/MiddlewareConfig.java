package io.outpost.config;

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
}
