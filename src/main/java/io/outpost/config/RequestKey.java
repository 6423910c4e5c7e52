package io.outpost.config;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The part of a request that picks a session or a hash ring position: {@code header:X-User},
 * {@code cookie:sid}, {@code query:user}, {@code claim:sub}, {@code clientIp}, or {@code consumer} (the
 * consumer an authentication middleware identified; only where a binder allows it).
 */
public record RequestKey(Source source, String name) implements Scalar {

    /** Where the key is read from. */
    public enum Source {
        HEADER("header"), COOKIE("cookie"), QUERY("query"), CLAIM("claim"), CLIENT_IP("clientIp"), CONSUMER("consumer");

        private final String keyword;

        Source(String keyword) {
            this.keyword = keyword;
        }

        /** True for sources written without a name ({@code clientIp}, {@code consumer}). */
        boolean bare() {
            return this == CLIENT_IP || this == CONSUMER;
        }

        @Override
        public String toString() {
            return keyword;
        }
    }

    public static final RequestKey CLIENT_IP = new RequestKey(Source.CLIENT_IP, "");
    public static final RequestKey CONSUMER = new RequestKey(Source.CONSUMER, "");

    /**
     * Parses {@code text}, accepting only the {@code allowed} sources.
     *
     * @throws IllegalArgumentException with a message fit for a configuration error
     */
    public static RequestKey parse(String text, Set<Source> allowed) {
        String s = text.strip();
        String expected = Arrays.stream(Source.values()).filter(allowed::contains)
                .map(src -> src.bare() ? src.toString() : src + ":NAME")
                .collect(Collectors.joining(", "));
        int colon = s.indexOf(':');
        String prefix = colon < 0 ? s : s.substring(0, colon);
        String name = colon < 0 ? "" : s.substring(colon + 1).strip();
        Source source = Arrays.stream(Source.values()).filter(src -> src.keyword.equals(prefix)).findFirst()
                .filter(allowed::contains)
                .orElseThrow(() -> new IllegalArgumentException("\"" + text + "\" is not a request key (expected: " + expected + ")"));
        if (source.bare() ? colon >= 0 : name.isEmpty()) {
            throw new IllegalArgumentException("\"" + text + "\" is not a request key (expected: " + expected + ")");
        }
        return new RequestKey(source, name);
    }

    @Override
    public String toString() {
        return source.bare() ? source.toString() : source + ":" + name;
    }
}
