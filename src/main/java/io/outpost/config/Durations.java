package io.outpost.config;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Go-style durations ({@code 500ms}, {@code 1s}, {@code 1h30m}), the notation Traefik and Envoy users
 * already write. A bare number is rejected because its unit would be a guess.
 */
public final class Durations {

    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?|\\.\\d+)(ns|us|µs|ms|s|m|h)");

    private Durations() {}

    /**
     * Parses {@code text}, for example {@code "1h30m"} or {@code "1.5s"}; {@code "0"} means zero.
     *
     * @throws IllegalArgumentException with a message fit for a configuration error
     */
    public static Duration parse(String text) {
        String s = text.strip();
        if (s.equals("0")) {
            return Duration.ZERO;
        }
        if (s.matches("[-+]?\\d+(\\.\\d+)?")) {
            throw new IllegalArgumentException(
                    "\"" + text + "\" has no unit (expected: a duration such as \"" + s + "s\" or \"" + s + "ms\")");
        }
        if (s.startsWith("-")) {
            throw new IllegalArgumentException("\"" + text + "\" is negative (expected: a duration >= 0)");
        }
        Matcher m = PART.matcher(s);
        int at = 0;
        BigDecimal nanos = BigDecimal.ZERO;
        while (at < s.length()) {
            if (!m.find(at) || m.start() != at) {
                throw new IllegalArgumentException("\"" + text
                        + "\" is not a duration (expected: a number with a unit ns, us, ms, s, m or h, such as \"1m30s\")");
            }
            nanos = nanos.add(new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unitNanos(m.group(2)))));
            at = m.end();
        }
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty duration (expected: a duration such as \"1s\")");
        }
        try {
            return Duration.ofNanos(nanos.setScale(0, RoundingMode.HALF_UP).longValueExact());
        } catch (ArithmeticException e) {
            // Timers count nanoseconds in a long.
            throw new IllegalArgumentException("\"" + text + "\" is too long (expected: a duration under 292 years)");
        }
    }

    /** Renders {@code d} the way {@link #parse} reads it, for example {@code 1h30m} or {@code 500ms}. */
    public static String format(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        long nanos = d.toNanos();
        if (nanos % 1_000_000_000L != 0) {
            if (nanos % 1_000_000L == 0) {
                return (nanos / 1_000_000L) + "ms";
            }
            if (nanos % 1_000L == 0) {
                return (nanos / 1_000L) + "us";
            }
            return nanos + "ns";
        }
        long seconds = d.toSeconds();
        StringBuilder out = new StringBuilder();
        if (seconds >= 3600) {
            out.append(seconds / 3600).append('h');
        }
        if (seconds % 3600 >= 60) {
            out.append(seconds % 3600 / 60).append('m');
        }
        if (seconds % 60 != 0) {
            out.append(seconds % 60).append('s');
        }
        return out.toString();
    }

    private static long unitNanos(String unit) {
        return switch (unit) {
            case "ns" -> 1L;
            case "us", "µs" -> 1_000L;
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            default -> throw new IllegalStateException(unit);
        };
    }
}
