package io.outpost.router;

import java.util.List;
import java.util.regex.Pattern;

/**
 * One leaf of a {@link Rule}: a test on a single part of the request. Values are validated and
 * normalised when the matcher is built (hosts to lower case, methods to upper case, regular
 * expressions compiled), so evaluation only compares.
 *
 * <p>Host and path regular expressions must match the whole value; header and query regular
 * expressions, as in Traefik, only need to match somewhere in the value.
 */
public sealed interface Matcher extends Rule {

    /** The matcher's name as written in rule syntax, for example {@code PathPrefix}. */
    String name();

    /** The host is one of the given hosts, compared ASCII case-insensitively. */
    record Host(List<String> hosts) implements Matcher {
        public Host {
            hosts = Args.each(hosts, "hosts", Args::host);
        }

        @Override
        public boolean matches(RequestView request) {
            String host = request.host();
            for (int i = 0, n = hosts.size(); i < n; i++) {
                if (Args.asciiEqualsIgnoreCase(hosts.get(i), host)) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public String name() {
            return "Host";
        }

        @Override
        public String toString() {
            return Args.render(name(), hosts);
        }
    }

    /**
     * The host contains a match of the expression, ASCII case-insensitively; anchor it with {@code ^}
     * and {@code $} to match the whole host (Traefik v3's semantics).
     */
    record HostRegexp(Pattern regexp) implements Matcher {
        public HostRegexp {
            regexp = Args.withFlags(regexp, Pattern.CASE_INSENSITIVE);
        }

        @Override
        public boolean matches(RequestView request) {
            return regexp.matcher(request.host()).find();
        }

        @Override
        public String name() {
            return "HostRegexp";
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof HostRegexp that && regexp.pattern().equals(that.regexp.pattern());
        }

        @Override
        public int hashCode() {
            return regexp.pattern().hashCode();
        }

        @Override
        public String toString() {
            return Args.render(name(), List.of(regexp.pattern()));
        }
    }

    /** The raw path equals one of the given paths exactly. */
    record Path(List<String> paths) implements Matcher {
        public Path {
            paths = Args.each(paths, "paths", Args::path);
        }

        @Override
        public boolean matches(RequestView request) {
            String path = request.path();
            for (int i = 0, n = paths.size(); i < n; i++) {
                if (paths.get(i).equals(path)) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public String name() {
            return "Path";
        }

        @Override
        public String toString() {
            return Args.render(name(), paths);
        }
    }

    /** The raw path starts with one of the given prefixes (plain string prefix, as in Traefik v3). */
    record PathPrefix(List<String> prefixes) implements Matcher {
        public PathPrefix {
            prefixes = Args.each(prefixes, "prefixes", Args::path);
        }

        @Override
        public boolean matches(RequestView request) {
            String path = request.path();
            for (int i = 0, n = prefixes.size(); i < n; i++) {
                if (path.startsWith(prefixes.get(i))) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public String name() {
            return "PathPrefix";
        }

        @Override
        public String toString() {
            return Args.render(name(), prefixes);
        }
    }

    /**
     * The raw path contains a match of the expression, as in Traefik v3: {@code PathRegexp(`\\.png$`)}
     * matches every path that ends in {@code .png}; anchor it with {@code ^} and {@code $} to match the
     * whole path.
     */
    record PathRegexp(Pattern regexp) implements Matcher {
        public PathRegexp {
            regexp = Args.withFlags(regexp, 0);
        }

        @Override
        public boolean matches(RequestView request) {
            return regexp.matcher(request.path()).find();
        }

        @Override
        public String name() {
            return "PathRegexp";
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof PathRegexp that && regexp.pattern().equals(that.regexp.pattern());
        }

        @Override
        public int hashCode() {
            return regexp.pattern().hashCode();
        }

        @Override
        public String toString() {
            return Args.render(name(), List.of(regexp.pattern()));
        }
    }

    /** The method is one of the given methods; they are upper-cased here and compared exactly. */
    record Method(List<String> methods) implements Matcher {
        public Method {
            methods = Args.each(methods, "methods", Args::method);
        }

        @Override
        public boolean matches(RequestView request) {
            String method = request.method();
            for (int i = 0, n = methods.size(); i < n; i++) {
                if (methods.get(i).equals(method)) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public String name() {
            return "Method";
        }

        @Override
        public String toString() {
            return Args.render(name(), methods);
        }
    }

    /** One of the header's values equals {@code value} exactly (each field line is one value, as in Traefik). */
    record Header(String header, String value) implements Matcher {
        public Header {
            header = Args.headerName(header);
            value = Args.notNull(value, "value");
        }

        @Override
        public boolean matches(RequestView request) {
            return request.headers(header).contains(value);
        }

        @Override
        public String name() {
            return "Header";
        }

        @Override
        public String toString() {
            return Args.render(name(), List.of(header, value));
        }
    }

    /** One of the header's values contains a match of the expression. */
    record HeaderRegexp(String header, Pattern regexp) implements Matcher {
        public HeaderRegexp {
            header = Args.headerName(header);
            regexp = Args.withFlags(regexp, 0);
        }

        @Override
        public boolean matches(RequestView request) {
            for (String value : request.headers(header)) {
                if (regexp.matcher(value).find()) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public String name() {
            return "HeaderRegexp";
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof HeaderRegexp that && header.equals(that.header)
                    && regexp.pattern().equals(that.regexp.pattern());
        }

        @Override
        public int hashCode() {
            return header.hashCode() * 31 + regexp.pattern().hashCode();
        }

        @Override
        public String toString() {
            return Args.render(name(), List.of(header, regexp.pattern()));
        }
    }

    /**
     * A query parameter named {@code key} is present ({@code value} null) or has {@code value} as
     * one of its values. Keys and values are compared after percent-decoding, {@code +} as space.
     */
    record Query(String key, String value) implements Matcher {
        public Query {
            key = Args.queryKey(key);
        }

        @Override
        public boolean matches(RequestView request) {
            return QueryString.contains(request.query(), key, value);
        }

        @Override
        public String name() {
            return "Query";
        }

        @Override
        public String toString() {
            return Args.render(name(), value == null ? List.of(key) : List.of(key, value));
        }
    }

    /** One of the decoded values of query parameter {@code key} contains a match of the expression. */
    record QueryRegexp(String key, Pattern regexp) implements Matcher {
        public QueryRegexp {
            key = Args.queryKey(key);
            regexp = Args.withFlags(regexp, 0);
        }

        @Override
        public boolean matches(RequestView request) {
            return QueryString.anyValueFinds(request.query(), key, regexp);
        }

        @Override
        public String name() {
            return "QueryRegexp";
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof QueryRegexp that && key.equals(that.key)
                    && regexp.pattern().equals(that.regexp.pattern());
        }

        @Override
        public int hashCode() {
            return key.hashCode() * 31 + regexp.pattern().hashCode();
        }

        @Override
        public String toString() {
            return Args.render(name(), List.of(key, regexp.pattern()));
        }
    }

    /** The client address lies in one of the given ranges; a single address is a full-length range. */
    record ClientIp(List<Cidr> ranges) implements Matcher {
        public ClientIp {
            ranges = Args.each(ranges, "ranges", range -> Args.notNull(range, "range"));
        }

        @Override
        public boolean matches(RequestView request) {
            String text = request.clientIp();
            if (text == null) {
                return false;
            }
            IpAddress address = IpAddress.parseOrNull(text);
            if (address == null) {
                return false;
            }
            for (int i = 0, n = ranges.size(); i < n; i++) {
                if (ranges.get(i).contains(address)) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public String name() {
            return "ClientIP";
        }

        @Override
        public String toString() {
            return Args.render(name(), ranges.stream().map(Cidr::toString).toList());
        }
    }
}
