package io.outpost.config;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte sizes as people write them: a plain number of bytes, SI units ({@code KB}, {@code MB},
 * {@code GB}: powers of 1000) or binary units ({@code KiB}, {@code MiB}, {@code GiB}: powers of 1024).
 */
public final class ByteSizes {

    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([a-zA-Z]*)");

    private ByteSizes() {}

    /**
     * Parses {@code text}, for example {@code "64KB"}, {@code "1GiB"} or {@code "1024"}.
     *
     * @throws IllegalArgumentException with a message fit for a configuration error
     */
    public static long parse(String text) {
        Matcher m = SIZE.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("\"" + text
                    + "\" is not a size (expected: bytes, or a number with a unit B, KB, MB, GB, KiB, MiB or GiB)");
        }
        long unit = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "", "b" -> 1L;
            case "kb", "k" -> 1_000L;
            case "mb", "m" -> 1_000_000L;
            case "gb", "g" -> 1_000_000_000L;
            case "kib" -> 1L << 10;
            case "mib" -> 1L << 20;
            case "gib" -> 1L << 30;
            default -> throw new IllegalArgumentException("\"" + text + "\" has an unknown unit '" + m.group(2)
                    + "' (expected: B, KB, MB, GB, KiB, MiB or GiB)");
        };
        BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit));
        if (bytes.stripTrailingZeros().scale() > 0) {
            throw new IllegalArgumentException("\"" + text + "\" is not a whole number of bytes");
        }
        if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("\"" + text + "\" is too large (expected: at most " + Long.MAX_VALUE + " bytes)");
        }
        return bytes.longValueExact();
    }
}
