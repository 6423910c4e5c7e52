package io.outpost.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/** Binds the security middlewares: jwt, apiKey, basicAuth, forwardAuth, rateLimit and quota. */
final class SecurityBinder {

    private static final String HEADER_NAME = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";

    private SecurityBinder() {}

    static Optional<MiddlewareConfig> bind(String type, Node body) {
        return switch (type) {
            case "jwt" -> body.mapping("jwksUrl", "jwksFile", "secret", "secretEnv", "issuer", "audience", "clockSkew",
                    "requiredScopes", "claimsToHeaders", "forwardToken", "consumerClaim", "jwksCacheDuration",
                    "jwksMinRefreshInterval", "tls") ? Optional.of(jwt(body)) : Optional.empty();
            case "apiKey" -> body.mapping("header", "query", "keys", "forwardKey") ? Optional.of(apiKey(body)) : Optional.empty();
            case "basicAuth" -> body.mapping("users", "realm", "removeHeader") ? Optional.of(basicAuth(body)) : Optional.empty();
            case "forwardAuth" -> body.mapping("address", "authResponseHeaders", "authRequestHeaders",
                    "trustForwardHeader", "timeout", "tls") ? Optional.of(forwardAuth(body)) : Optional.empty();
            case "rateLimit" -> body.mapping("average", "period", "burst", "sourceCriterion", "maxKeys")
                    ? Optional.of(rateLimit(body)) : Optional.empty();
            case "quota" -> body.mapping("limit", "period", "key", "maxKeys") ? Optional.of(quota(body)) : Optional.empty();
            default -> throw new IllegalStateException(type);
        };
    }

    private static MiddlewareConfig jwt(Node body) {
        Optional<String> url = optString(body, "jwksUrl");
        url.ifPresent(u -> checkHttpUrl(body.at("jwksUrl"), u));
        Optional<String> fileText = optString(body, "jwksFile");
        Optional<Path> file = fileText.flatMap(f -> body.parsed("jwksFile", TlsBinder::path));
        file.filter(f -> !Files.isRegularFile(f) || !Files.isReadable(f))
                .ifPresent(f -> body.at("jwksFile").error(f + ": no such readable file"));
        Optional<String> secret = optString(body, "secret");
        Optional<String> secretEnv = optString(body, "secretEnv");
        // Counted as written, so that a source with a bad value is reported once, as itself.
        long sources = Stream.of("jwksUrl", "jwksFile", "secret", "secretEnv").filter(body::has).count();
        if (sources != 1) {
            body.error("expected exactly one key source of jwksUrl, jwksFile, secret, secretEnv (found " + sources + ")");
        }
        secret.filter(s -> s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length < 32).ifPresent(s ->
                body.at("secret").error("too short (expected: at least 32 bytes for HS256)"));
        Map<String, String> toHeaders = new java.util.LinkedHashMap<>();
        body.at("claimsToHeaders").entries().forEach((claim, header) -> {
            String name = header.text();
            if (name != null && !name.matches(HEADER_NAME)) {
                header.error("'" + name + "' is not a valid header name");
            } else if (name != null) {
                toHeaders.put(claim, name);
            }
        });
        return new MiddlewareConfig.Jwt(url, file, secret, secretEnv, optString(body, "issuer"),
                stringOrList(body, "audience"),
                body.duration("clockSkew", MiddlewareConfig.Jwt.DEFAULT_CLOCK_SKEW),
                RootBinder.strings(body, "requiredScopes"), toHeaders, body.bool("forwardToken", true),
                optString(body, "consumerClaim"),
                body.positiveDuration("jwksCacheDuration", MiddlewareConfig.Jwt.DEFAULT_JWKS_CACHE_DURATION),
                body.duration("jwksMinRefreshInterval", MiddlewareConfig.Jwt.DEFAULT_JWKS_MIN_REFRESH_INTERVAL),
                TlsBinder.upstream(body.section("tls"), url.filter(u -> u.toLowerCase(Locale.ROOT).startsWith("https://")).isPresent()));
    }

    private static MiddlewareConfig apiKey(Node body) {
        String header = body.string("header", MiddlewareConfig.ApiKey.DEFAULT_HEADER);
        if (!header.matches(HEADER_NAME)) {
            body.at("header").error("'" + header + "' is not a valid header name");
        }
        List<MiddlewareConfig.ApiKeyEntry> keys = new ArrayList<>();
        for (Node item : body.list("keys")) {
            if (!item.mapping("consumer", "sha256")) {
                continue;
            }
            String consumer = item.requiredString("consumer");
            String hash = item.requiredString("sha256");
            if (!hash.isEmpty() && !hash.matches("[0-9a-fA-F]{64}")) {
                item.at("sha256").error("expected 64 hex digits (the SHA-256 of the key)");
            }
            keys.add(new MiddlewareConfig.ApiKeyEntry(consumer, hash.toLowerCase(java.util.Locale.ROOT)));
        }
        if (keys.isEmpty()) {
            body.error("expected at least one entry in 'keys'");
        }
        return new MiddlewareConfig.ApiKey(header, optString(body, "query"), keys, body.bool("forwardKey", false));
    }

    private static MiddlewareConfig basicAuth(Node body) {
        List<String> users = new ArrayList<>();
        for (Node item : body.list("users")) {
            String text = item.text();
            if (text == null) {
                continue;
            }
            int colon = text.indexOf(':');
            // Never echo the value: it holds a password hash.
            if (colon <= 0 || !text.substring(colon + 1).matches("\\$2[aby]\\$\\d\\d\\$[./A-Za-z0-9]{53}")) {
                item.error("expected NAME:BCRYPT-HASH (a $2a$, $2b$ or $2y$ hash)");
            } else {
                users.add(text);
            }
        }
        if (users.isEmpty()) {
            body.error("expected at least one entry in 'users'");
        }
        String realm = body.string("realm", MiddlewareConfig.BasicAuth.DEFAULT_REALM);
        if (realm.indexOf('"') >= 0 || realm.indexOf('\\') >= 0) {
            body.at("realm").error("must not contain quotes or backslashes");
        }
        return new MiddlewareConfig.BasicAuth(users, realm, body.bool("removeHeader", false));
    }

    private static MiddlewareConfig forwardAuth(Node body) {
        String address = body.requiredString("address");
        if (!address.isEmpty()) {
            checkHttpUrl(body.at("address"), address);
        }
        return new MiddlewareConfig.ForwardAuth(address, headerNames(body, "authResponseHeaders"),
                headerNames(body, "authRequestHeaders"), body.bool("trustForwardHeader", false),
                body.positiveDuration("timeout", MiddlewareConfig.ForwardAuth.DEFAULT_TIMEOUT),
                TlsBinder.upstream(body.section("tls"), address.toLowerCase(Locale.ROOT).startsWith("https://")));
    }

    private static MiddlewareConfig rateLimit(Node body) {
        long average = body.has("average") ? positiveLong(body, "average", 1) : RootBinder.missing(body, "average", 1L);
        long burst = body.has("burst") ? positiveLong(body, "burst", average) : average;
        RequestKey source = body.parsed("sourceCriterion", text -> RequestKey.parse(text, Set.of(
                RequestKey.Source.CLIENT_IP, RequestKey.Source.HEADER, RequestKey.Source.CLAIM, RequestKey.Source.CONSUMER)))
                .orElse(RequestKey.CLIENT_IP);
        Duration period = body.positiveDuration("period", MiddlewareConfig.RateLimit.DEFAULT_PERIOD);
        // The bucket holds burst x (period / average) nanoseconds in a long.
        long periodNanos = saturatedNanos(period);
        long intervalNanos = Math.max(1, periodNanos / average);
        if (periodNanos == Long.MAX_VALUE || burst > Long.MAX_VALUE / intervalNanos) {
            body.at(body.has("burst") ? "burst" : "average").error(burst + " requests of " + Durations.format(period)
                    + " / " + average + " each is too long a burst (expected: burst x period / average under 292 years)");
            burst = average;
        }
        return new MiddlewareConfig.RateLimit(average, period, burst, source,
                body.integer("maxKeys", MiddlewareConfig.RateLimit.DEFAULT_MAX_KEYS, 1, Integer.MAX_VALUE));
    }

    private static MiddlewareConfig quota(Node body) {
        long limit = body.has("limit") ? positiveLong(body, "limit", 1) : RootBinder.missing(body, "limit", 1L);
        Duration period = body.positiveDuration("period", MiddlewareConfig.Quota.DEFAULT_PERIOD);
        if (period.toMillis() < 1000) {
            body.at("period").error(Durations.format(period) + " (expected: >= 1s)");
        }
        RequestKey key = body.parsed("key", text -> RequestKey.parse(text, Set.of(
                RequestKey.Source.CONSUMER, RequestKey.Source.HEADER, RequestKey.Source.CLAIM, RequestKey.Source.CLIENT_IP)))
                .orElse(RequestKey.CONSUMER);
        return new MiddlewareConfig.Quota(limit, period, key,
                body.integer("maxKeys", MiddlewareConfig.Quota.DEFAULT_MAX_KEYS, 1, Integer.MAX_VALUE));
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    private static Optional<String> optString(Node body, String key) {
        return body.parsed(key, text -> text);
    }

    private static List<String> stringOrList(Node body, String key) {
        Node child = body.at(key);
        if (child.present() && !child.isList() && !child.isNull()) {
            String one = child.text();
            return one == null ? List.of() : List.of(one);
        }
        return RootBinder.strings(body, key);
    }

    private static List<String> headerNames(Node body, String key) {
        List<String> out = new ArrayList<>();
        for (Node item : body.list(key)) {
            String name = item.text();
            if (name != null && !name.matches(HEADER_NAME)) {
                item.error("'" + name + "' is not a valid header name");
            } else if (name != null) {
                out.add(name);
            }
        }
        return out;
    }

    private static long positiveLong(Node body, String key, long fallback) {
        Node child = body.at(key);
        Optional<Double> n = body.optNumber(key);
        if (n.isEmpty()) {
            return fallback;
        }
        double v = n.get();
        if (v < 1 || v != Math.floor(v) || v > 1e15) {
            child.error(child.text() + " (expected: an integer >= 1)");
            return fallback;
        }
        return (long) v;
    }

    private static void checkHttpUrl(Node node, String text) {
        try {
            HttpUrls.parse(text, "");
        } catch (IllegalArgumentException e) {
            node.error(e.getMessage());
        }
    }
}
