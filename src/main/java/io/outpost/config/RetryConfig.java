package io.outpost.config;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/** Upstream retries, in Envoy's terms: which failures to retry, how often, and for which methods. */
public record RetryConfig(
        int attempts,
        Set<On> on,
        Optional<Duration> perTryTimeout,
        Backoff backoff,
        Set<String> methods) {

    public static final int DEFAULT_ATTEMPTS = 1;
    public static final Set<On> DEFAULT_ON = Set.of(On.CONNECT_FAILURE, On.RESET, On.GATEWAY_ERROR);
    /** The idempotent methods of RFC 9110: retrying them cannot apply a change twice. */
    public static final Set<String> DEFAULT_METHODS = Copies.set(
            new LinkedHashSet<>(List.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE")));

    public RetryConfig {
        on = Copies.set(on);
        Objects.requireNonNull(perTryTimeout, "perTryTimeout");
        Objects.requireNonNull(backoff, "backoff");
        methods = Copies.set(methods);
    }

    /** A failure that may be retried. */
    public enum On {
        FIVE_XX("5xx"), GATEWAY_ERROR("gateway-error"), RESET("reset"), CONNECT_FAILURE("connect-failure");

        private final String keyword;

        On(String keyword) {
            this.keyword = keyword;
        }

        public static Optional<On> fromKeyword(String keyword) {
            return Arrays.stream(values()).filter(o -> o.keyword.equals(keyword)).findFirst();
        }

        @Override
        public String toString() {
            return keyword;
        }
    }

    /** Exponential backoff with full jitter between {@code base} and {@code max} (Envoy: 25ms, 10 x base). */
    public record Backoff(Duration base, Duration max) {
        public static final Backoff DEFAULT = new Backoff(Duration.ofMillis(25), Duration.ofMillis(250));

        public Backoff {
            Objects.requireNonNull(base, "base");
            Objects.requireNonNull(max, "max");
        }
    }
}
