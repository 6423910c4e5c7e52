package io.outpost.config;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** Binds the sections that several service types share: health checks, retries, stickiness, timeouts. */
final class ServicePartsBinder {

    private ServicePartsBinder() {}

    static Optional<HealthCheckConfig> healthCheck(Node node) {
        if (!node.present() || !node.mapping("path", "interval", "timeout", "jitter", "expectedStatus",
                "unhealthyThreshold", "healthyThreshold")) {
            return Optional.empty();
        }
        String path = node.requiredString("path");
        if (!path.isEmpty() && !path.startsWith("/")) {
            node.at("path").error("\"" + path + "\" must start with '/'");
        } else if (!path.chars().allMatch(c -> c > ' ' && c < 0x7f && c != '#')) {
            node.at("path").error("\"" + path + "\" must not contain whitespace, control characters, '#' or non-ASCII "
                    + "characters (expected: a path such as /health, %-encoded where needed)");
        }
        Duration interval = node.positiveDuration("interval", HealthCheckConfig.DEFAULT_INTERVAL);
        Duration timeout = node.positiveDuration("timeout", HealthCheckConfig.DEFAULT_TIMEOUT);
        if (timeout.compareTo(interval) > 0) {
            node.at("timeout").error(Durations.format(timeout) + " (expected: <= interval " + Durations.format(interval) + ")");
        }
        return Optional.of(new HealthCheckConfig(path, interval, timeout,
                node.duration("jitter", Duration.ZERO),
                node.parsed("expectedStatus", StatusRange::parse).orElse(StatusRange.DEFAULT),
                node.integer("unhealthyThreshold", HealthCheckConfig.DEFAULT_UNHEALTHY_THRESHOLD, 1, 1000),
                node.integer("healthyThreshold", HealthCheckConfig.DEFAULT_HEALTHY_THRESHOLD, 1, 1000)));
    }

    static Optional<OutlierDetectionConfig> outlierDetection(Node node) {
        if (!node.present() || !node.mapping("consecutive5xx", "consecutiveGatewayFailure", "interval",
                "baseEjectionTime", "maxEjectionPercent")) {
            return Optional.empty();
        }
        OutlierDetectionConfig d = OutlierDetectionConfig.DEFAULT;
        return Optional.of(new OutlierDetectionConfig(
                node.integer("consecutive5xx", d.consecutive5xx(), 1, Integer.MAX_VALUE),
                node.integer("consecutiveGatewayFailure", d.consecutiveGatewayFailure(), 1, Integer.MAX_VALUE),
                node.positiveDuration("interval", d.interval()),
                node.positiveDuration("baseEjectionTime", d.baseEjectionTime()),
                node.integer("maxEjectionPercent", d.maxEjectionPercent(), 0, 100)));
    }

    static Optional<RetryConfig> retry(Node node) {
        if (!node.present() || !node.mapping("attempts", "on", "perTryTimeout", "backoff", "methods")) {
            return Optional.empty();
        }
        Set<RetryConfig.On> on = new LinkedHashSet<>();
        node.list("on").forEach(item -> item.parse(text -> RetryConfig.On.fromKeyword(text).orElseThrow(
                () -> new IllegalArgumentException("'" + text + "' (expected one of 5xx, gateway-error, reset, connect-failure)")))
                .ifPresent(on::add));
        RetryConfig.Backoff backoff = RetryConfig.Backoff.DEFAULT;
        Node b = node.section("backoff");
        if (b.present() && b.mapping("base", "max")) {
            Duration base = b.positiveDuration("base", backoff.base());
            Duration max = b.positiveDuration("max", b.has("base") ? base.multipliedBy(10) : backoff.max());
            if (max.compareTo(base) < 0) {
                b.at("max").error(Durations.format(max) + " (expected: >= base " + Durations.format(base) + ")");
            }
            backoff = new RetryConfig.Backoff(base, max);
        }
        Optional<Duration> perTry = node.optDuration("perTryTimeout");
        if (perTry.isPresent() && perTry.get().isZero()) {
            node.at("perTryTimeout").error("must be > 0");
        }
        return Optional.of(new RetryConfig(
                node.integer("attempts", RetryConfig.DEFAULT_ATTEMPTS, 1, 100),
                node.has("on") ? on : RetryConfig.DEFAULT_ON,
                perTry, backoff,
                node.has("methods") ? methods(node, "methods") : RetryConfig.DEFAULT_METHODS));
    }

    static CircuitBreakersConfig circuitBreakers(Node node) {
        CircuitBreakersConfig d = CircuitBreakersConfig.DEFAULT;
        if (!node.present() || !node.mapping("maxConnections", "maxPendingRequests", "maxRequests", "maxRetries")) {
            return d;
        }
        return new CircuitBreakersConfig(
                node.integer("maxConnections", d.maxConnections(), 1, Integer.MAX_VALUE),
                node.integer("maxPendingRequests", d.maxPendingRequests(), 0, Integer.MAX_VALUE),
                node.integer("maxRequests", d.maxRequests(), 1, Integer.MAX_VALUE),
                node.integer("maxRetries", d.maxRetries(), 0, Integer.MAX_VALUE));
    }

    static Optional<StickyConfig> sticky(Node node, String serviceName) {
        if (!node.present() || !node.mapping("cookie")) {
            return Optional.empty();
        }
        Node c = node.section("cookie");
        if (!c.present()) {
            node.error("missing required key 'cookie'");
            return Optional.empty();
        }
        if (!c.mapping("name", "secure", "httpOnly", "sameSite", "maxAge")) {
            return Optional.empty();
        }
        String name = c.string("name", "outpost_" + serviceName.replaceAll("[^A-Za-z0-9_-]", "_"));
        if (!name.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
            c.at("name").error("\"" + name + "\" is not a valid cookie name");
        }
        StickyConfig.SameSite sameSite = c.parsed("sameSite", text -> StickyConfig.SameSite.fromKeyword(text).orElseThrow(
                () -> new IllegalArgumentException("'" + text + "' (expected one of none, lax, strict)")))
                .orElse(StickyConfig.SameSite.UNSET);
        return Optional.of(new StickyConfig(new StickyConfig.Cookie(name, c.bool("secure", false),
                c.bool("httpOnly", false), sameSite, c.optDuration("maxAge"))));
    }

    static TimeoutsConfig timeouts(Node node) {
        TimeoutsConfig d = TimeoutsConfig.DEFAULT;
        if (!node.present() || !node.mapping("connect", "responseHeader", "idle")) {
            return d;
        }
        return new TimeoutsConfig(node.positiveDuration("connect", d.connect()),
                node.positiveDuration("responseHeader", d.responseHeader()),
                node.positiveDuration("idle", d.idle()));
    }

    /** HTTP method names, upper-cased; a token check catches typos such as {@code "PO ST"}. */
    static Set<String> methods(Node node, String key) {
        Set<String> out = new LinkedHashSet<>();
        List<Node> items = node.list(key);
        for (Node item : items) {
            String m = item.text();
            if (m != null && !m.matches("[A-Za-z]+")) {
                item.error("\"" + m + "\" is not an HTTP method");
            } else if (m != null) {
                out.add(m.toUpperCase(Locale.ROOT));
            }
        }
        if (node.has(key) && !node.at(key).isNull() && items.isEmpty() && node.at(key).isList()) {
            node.at(key).error("expected at least one method");
        }
        return out;
    }
}
