package io.outpost.config;

/** The HTTP statuses a health check accepts, for example {@code 200-399} or {@code 204}. */
public record StatusRange(int from, int to) implements Scalar {

    public static final StatusRange DEFAULT = new StatusRange(200, 399);

    /**
     * Parses {@code "200-399"} or {@code "204"}.
     *
     * @throws IllegalArgumentException with a message fit for a configuration error
     */
    public static StatusRange parse(String text) {
        String s = text.strip();
        if (!s.matches("\\d{3}(\\s*-\\s*\\d{3})?")) {
            throw new IllegalArgumentException("\"" + text + "\" is not a status range (expected: for example \"200-399\" or \"204\")");
        }
        String[] parts = s.split("\\s*-\\s*");
        int from = Integer.parseInt(parts[0]);
        int to = parts.length == 2 ? Integer.parseInt(parts[1]) : from;
        if (from < 100 || to > 599 || from > to) {
            throw new IllegalArgumentException("\"" + text + "\" is not a status range (expected: 100 <= from <= to <= 599)");
        }
        return new StatusRange(from, to);
    }

    public boolean contains(int status) {
        return status >= from && status <= to;
    }

    @Override
    public String toString() {
        return from == to ? Integer.toString(from) : from + "-" + to;
    }
}
