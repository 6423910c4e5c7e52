package io.outpost.config;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The part of a request that picks a session or a hash ring position: {@code header:X-User},
 * {@code cookie:sid}, {@code query:user}, {@code claim:sub} or {@code clientIp}.
 */
public record RequestKey(Source source, String name) implements Scalar {

    /** Where the key is read from. */
    public enum Source {
        HEADER("header"), COOKIE("cookie"), QUERY("query"), CLAIM("claim"), CLIENT_IP("clientIp");

        private final String keyword;

        Source(String keyword) {
            this.keyword = keyword;
        }

        @Override
        public String toString() {
            return keyword;
        }
    }

    public static final RequestKey CLIENT_IP = new RequestKey(Source.CLIENT_IP, "");

    /**
     * Parses {@code text}, accepting only the {@code allowed} sources.
     *
     * @throws IllegalArgumentException with a message fit for a configuration error
     */
    public static RequestKey parse(String text, Set<Source> allowed) {
        String s = text.strip();
        String expected = Arrays.stream(Source.values()).filter(allowed::contains).map(src -> src == Source.CLIENT_IP ? "clientIp" : src + ":NAME")
                .collect(Collectors.joining(", "));
        int colon = s.indexOf(':');
        String prefix = colon < 0 ? s : s.substring(0, colon);
        String name = colon < 0 ? "" : s.substring(colon + 1).strip();
        Source source = Arrays.stream(Source.values()).filter(src -> src.keyword.equals(prefix)).findFirst()
                .filter(allowed::contains)
                .orElseThrow(() -> new IllegalArgumentException("\"" + text + "\" is not a request key (expected: " + expected + ")"));
        if (source == Source.CLIENT_IP ? colon >= 0 : name.isEmpty()) {
            throw new IllegalArgumentException("\"" + text + "\" is not a request key (expected: " + expected + ")");
        }
        return new RequestKey(source, name);
    }

    @Override
    public String toString() {
        return source == Source.CLIENT_IP ? "clientIp" : source + ":" + name;
    }
}
