package io.outpost.upstream;

import io.outpost.router.RequestView;
import java.util.Locale;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * Where a request's affinity key comes from ({@code hashOn} / {@code sessionKey}):
 * {@code header:NAME}, {@code cookie:NAME}, {@code query:NAME}, {@code claim:NAME} or
 * {@code clientIp}. A request without the value gets a random hash, so it is spread like any
 * other instead of all such requests landing on one endpoint.
 *
 * <pre>{@code
 * HashKey key = HashKey.parse("cookie:session");
 * long hash = key.hash(request, claims::get, ThreadLocalRandom.current());
 * }</pre>
 */
public final class HashKey {

    /** The kinds of source. */
    public enum Source { HEADER, COOKIE, QUERY, CLAIM, CLIENT_IP, NONE }

    private static final HashKey NONE = new HashKey(Source.NONE, "");

    private final Source source;
    private final String name;

    private HashKey(Source source, String name) {
        this.source = source;
        this.name = name;
    }

    /** Parses a spec; {@code null} or empty means no key (always random). */
    public static HashKey parse(String spec) {
        if (spec == null || spec.isBlank()) {
            return NONE;
        }
        String s = spec.trim();
        if (s.equals("clientIp")) {
            return new HashKey(Source.CLIENT_IP, "");
        }
        int colon = s.indexOf(':');
        String kind = colon < 0 ? s : s.substring(0, colon);
        String name = colon < 0 ? "" : s.substring(colon + 1).trim();
        Source source = switch (kind) {
            case "header" -> Source.HEADER;
            case "cookie" -> Source.COOKIE;
            case "query" -> Source.QUERY;
            case "claim" -> Source.CLAIM;
            default -> throw new IllegalArgumentException("hashOn: \"" + spec
                    + "\" (expected: header:NAME, cookie:NAME, query:NAME, claim:NAME or clientIp)");
        };
        if (name.isEmpty()) {
            throw new IllegalArgumentException("hashOn: \"" + spec + "\" (expected: a name after '"
                    + kind + ":')");
        }
        return new HashKey(source, source == Source.HEADER ? name.toLowerCase(Locale.ROOT) : name);
    }

    public Source source() {
        return source;
    }

    public String name() {
        return name;
    }

    /**
     * The key's value in this request, or {@code null} when it has none.
     *
     * @param claims validated token claims by name; may be {@code null} when there are none
     */
    public String value(RequestView request, Function<String, Object> claims) {
        return switch (source) {
            case HEADER -> emptyToNull(request.header(name));
            case COOKIE -> cookie(request.header("cookie"), name);
            case QUERY -> queryParam(request.query(), name);
            case CLAIM -> {
                Object v = claims == null ? null : claims.apply(name);
                yield v == null ? null : emptyToNull(v.toString());
            }
            case CLIENT_IP -> emptyToNull(request.clientIp());
            case NONE -> null;
        };
    }

    /** The xxHash64 of the value, or a random hash when the value is absent. */
    public long hash(RequestView request, Function<String, Object> claims, RandomGenerator random) {
        String v = value(request, claims);
        return v == null ? random.nextLong() : XxHash64.hash(v);
    }

    static String cookie(String header, String name) {
        if (header == null) {
            return null;
        }
        int i = 0;
        int n = header.length();
        while (i < n) {
            int end = header.indexOf(';', i);
            if (end < 0) {
                end = n;
            }
            int eq = header.indexOf('=', i);
            if (eq > 0 && eq < end && header.substring(i, eq).trim().equals(name)) {
                String v = header.substring(eq + 1, end).trim();
                if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
                    v = v.substring(1, v.length() - 1);
                }
                return emptyToNull(v);
            }
            i = end + 1;
        }
        return null;
    }

    static String queryParam(String query, String name) {
        if (query == null || query.isEmpty()) {
            return null;
        }
        int i = 0;
        int n = query.length();
        while (i < n) {
            int end = query.indexOf('&', i);
            if (end < 0) {
                end = n;
            }
            int eq = query.indexOf('=', i);
            boolean hasValue = eq >= 0 && eq < end;
            String key = query.substring(i, hasValue ? eq : end);
            if (key.equals(name)) {
                return hasValue ? emptyToNull(query.substring(eq + 1, end)) : null;
            }
            i = end + 1;
        }
        return null;
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    @Override
    public String toString() {
        return switch (source) {
            case CLIENT_IP -> "clientIp";
            case NONE -> "none";
            default -> source.name().toLowerCase(Locale.ROOT) + ":" + name;
        };
    }
}
