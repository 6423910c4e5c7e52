package io.outpost.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Binds {@code http.middlewares.<name>}: exactly one type key, then that type's fields. */
final class MiddlewareBinder {

    static final List<String> TYPES = List.of("stripPrefix", "addPrefix", "replacePath", "headers", "redirectScheme",
            "ipAllowList", "maxBodySize", "inFlightReq", "buffering", "circuitBreaker", "retry",
            "jwt", "apiKey", "basicAuth", "forwardAuth", "rateLimit", "quota");

    private MiddlewareBinder() {}

    static Optional<MiddlewareConfig> bind(Node node) {
        if (!node.isMapping()) {
            return Optional.empty();
        }
        List<String> found = new ArrayList<>();
        node.entries().keySet().forEach(key -> {
            if (TYPES.contains(key)) {
                found.add(key);
            } else {
                node.error("unknown middleware type '" + key + "' (expected one of " + String.join(", ", TYPES) + ")");
            }
        });
        if (found.size() != 1) {
            node.error("expected exactly one middleware type, found " + found.size()
                    + (found.isEmpty() ? "" : " (" + String.join(", ", found) + ")"));
            return Optional.empty();
        }
        String type = found.get(0);
        Node body = node.section(type);
        return switch (type) {
            case "stripPrefix" -> body.mapping("prefixes") ? Optional.of(stripPrefix(body)) : Optional.empty();
            case "addPrefix" -> body.mapping("prefix")
                    ? Optional.of(new MiddlewareConfig.AddPrefix(path(body, "prefix"))) : Optional.empty();
            case "replacePath" -> body.mapping("path")
                    ? Optional.of(new MiddlewareConfig.ReplacePath(path(body, "path"))) : Optional.empty();
            case "headers" -> body.mapping("customRequestHeaders", "customResponseHeaders")
                    ? Optional.of(new MiddlewareConfig.Headers(headers(body.at("customRequestHeaders")),
                            headers(body.at("customResponseHeaders")))) : Optional.empty();
            case "redirectScheme" -> body.mapping("scheme", "port", "permanent") ? Optional.of(redirect(body)) : Optional.empty();
            case "ipAllowList" -> body.mapping("sourceRange") ? Optional.of(ipAllowList(body)) : Optional.empty();
            case "maxBodySize" -> body.mapping("limit") ? Optional.of(new MiddlewareConfig.MaxBodySize(
                    body.has("limit") ? body.size("limit", 1) : RootBinder.missing(body, "limit", 1L))) : Optional.empty();
            case "inFlightReq" -> body.mapping("amount", "sourceCriterion") ? Optional.of(inFlight(body)) : Optional.empty();
            case "buffering" -> body.mapping("maxRequestBodyBytes") ? Optional.of(new MiddlewareConfig.Buffering(
                    body.size("maxRequestBodyBytes", MiddlewareConfig.Buffering.DEFAULT_MAX_REQUEST_BODY_BYTES)))
                    : Optional.empty();
            case "circuitBreaker" -> body.mapping("errorRatio", "latencyThreshold", "minRequests", "window",
                    "fallbackDuration", "recoveryDuration") ? Optional.of(circuitBreaker(body)) : Optional.empty();
            case "retry" -> body.mapping("attempts", "initialInterval") ? Optional.of(retry(body)) : Optional.empty();
            case "jwt", "apiKey", "basicAuth", "forwardAuth", "rateLimit", "quota" -> SecurityBinder.bind(type, body);
            default -> throw new IllegalStateException(type);
        };
    }

    private static MiddlewareConfig stripPrefix(Node body) {
        if (!body.has("prefixes")) {
            body.error("missing required key 'prefixes'");
        }
        List<String> prefixes = new ArrayList<>();
        List<Node> items = body.list("prefixes");
        for (Node item : items) {
            String p = item.text();
            if (p != null && !p.startsWith("/")) {
                item.error("\"" + p + "\" must start with '/'");
            } else if (p != null && !plainPath(p)) {
                item.error(NOT_PLAIN);
            } else if (p != null) {
                prefixes.add(p);
            }
        }
        if (items.isEmpty() && body.at("prefixes").isList()) {
            body.at("prefixes").error("expected at least one prefix");
        }
        return new MiddlewareConfig.StripPrefix(prefixes);
    }

    private static String path(Node body, String key) {
        String value = body.requiredString(key);
        if (!value.isEmpty() && !value.startsWith("/")) {
            body.at(key).error("\"" + value + "\" must start with '/'");
        } else if (!plainPath(value)) {
            body.at(key).error(NOT_PLAIN);
        }
        return value;
    }

    private static final String NOT_PLAIN = "must not contain whitespace, control characters, '?' or '#'";

    /** What the path middlewares accept when they are built: nothing that would break or change the request line. */
    private static boolean plainPath(String path) {
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c <= ' ' || c == 0x7f || c == '?' || c == '#') {
                return false;
            }
        }
        return true;
    }

    /** Headers that frame a message on the wire: the gateway sets them, and the middleware refuses them. */
    private static final Set<String> FRAMING = Set.of("content-length", "transfer-encoding", "connection", "upgrade");

    private static Map<String, String> headers(Node node) {
        Map<String, String> out = new LinkedHashMap<>();
        if (!node.present()) {
            return out;
        }
        node.entries().forEach((name, value) -> {
            if (!name.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
                value.error("'" + name + "' is not a valid header name");
            } else if (FRAMING.contains(name.toLowerCase(java.util.Locale.ROOT))) {
                value.error("is set by the gateway itself (expected: not Content-Length, Transfer-Encoding, Connection or Upgrade)");
            }
            // As in Traefik, an empty value removes the header: here "" is a value.
            String text = value.present() ? value.textOrEmpty() : "";
            if (text != null && !fieldValue(text)) {
                value.error("has a control or non-Latin-1 character (expected: printable text)");
            } else if (text != null) {
                out.put(name, text);
            }
        });
        return out;
    }

    /** What the middleware can send as a field value: no line breaks or other controls (tab aside), Latin-1. */
    private static boolean fieldValue(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if ((c < ' ' && c != '\t') || c == 0x7f || c > 0xff) {
                return false;
            }
        }
        return true;
    }

    private static MiddlewareConfig redirect(Node body) {
        String scheme = body.choice("scheme", "https", "http", "https");
        var port = body.optInt("port");
        if (port.isPresent() && (port.getAsInt() < 1 || port.getAsInt() > 65535)) {
            body.at("port").error(port.getAsInt() + " (expected: 1-65535)");
        }
        return new MiddlewareConfig.RedirectScheme(scheme, port, body.bool("permanent", false));
    }

    private static MiddlewareConfig ipAllowList(Node body) {
        List<Cidr> ranges = new ArrayList<>();
        List<Node> items = body.list("sourceRange");
        items.forEach(item -> item.parse(Cidr::parse).ifPresent(ranges::add));
        if (!body.has("sourceRange")) {
            body.error("missing required key 'sourceRange'");
        } else if (items.isEmpty() && body.at("sourceRange").isList()) {
            body.at("sourceRange").error("expected at least one range");
        }
        return new MiddlewareConfig.IpAllowList(ranges);
    }

    private static MiddlewareConfig inFlight(Node body) {
        int amount = body.has("amount") ? body.integer("amount", 1, 1, Integer.MAX_VALUE)
                : RootBinder.missing(body, "amount", 1);
        RequestKey source = body.parsed("sourceCriterion",
                text -> RequestKey.parse(text, Set.of(RequestKey.Source.CLIENT_IP, RequestKey.Source.HEADER)))
                .orElse(RequestKey.CLIENT_IP);
        return new MiddlewareConfig.InFlightReq(amount, source);
    }

    private static MiddlewareConfig circuitBreaker(Node body) {
        Optional<Double> ratio = body.optNumber("errorRatio");
        if (ratio.isPresent() && (ratio.get() <= 0 || ratio.get() > 1)) {
            body.at("errorRatio").error(ratio.get() + " (expected: > 0 and <= 1)");
        }
        Optional<java.time.Duration> latency = body.optDuration("latencyThreshold");
        if (!body.has("errorRatio") && !body.has("latencyThreshold")) {
            body.error("expected errorRatio, latencyThreshold or both");
        }
        return new MiddlewareConfig.CircuitBreaker(ratio, latency,
                body.integer("minRequests", MiddlewareConfig.CircuitBreaker.DEFAULT_MIN_REQUESTS, 1, Integer.MAX_VALUE),
                body.positiveDuration("window", MiddlewareConfig.CircuitBreaker.DEFAULT_WINDOW),
                body.positiveDuration("fallbackDuration", MiddlewareConfig.CircuitBreaker.DEFAULT_FALLBACK_DURATION),
                body.positiveDuration("recoveryDuration", MiddlewareConfig.CircuitBreaker.DEFAULT_RECOVERY_DURATION));
    }

    private static MiddlewareConfig retry(Node body) {
        int attempts = body.has("attempts") ? body.integer("attempts", 1, 1, 100) : RootBinder.missing(body, "attempts", 1);
        return new MiddlewareConfig.Retry(attempts,
                body.positiveDuration("initialInterval", MiddlewareConfig.Retry.DEFAULT_INITIAL_INTERVAL));
    }
}
