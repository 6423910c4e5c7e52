package io.outpost.router;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * Scans a raw query string in place, the way Go's {@code url.ParseQuery} reads it: pairs split on
 * {@code &}, {@code +} means space, percent-escapes decoded as UTF-8, and a pair with a bad escape
 * or a {@code ;} is skipped. Segments without escapes are compared without allocating.
 */
final class QueryString {

    private QueryString() {
    }

    /** True when {@code key} is present ({@code value} null) or has {@code value} as one of its values. */
    static boolean contains(String query, String key, String value) {
        if (query == null || query.isEmpty()) {
            return false;
        }
        int length = query.length();
        for (int start = 0; start <= length; ) {
            int end = query.indexOf('&', start);
            if (end < 0) {
                end = length;
            }
            int equals = pairSeparator(query, start, end);
            if (equals >= 0 && decodedEquals(query, start, equals, key)) {
                int valueStart = equals == end ? end : equals + 1;
                if (value == null ? decode(query, valueStart, end) != null
                        : decodedEquals(query, valueStart, end, value)) {
                    return true;
                }
            }
            start = end + 1;
        }
        return false;
    }

    /** True when some decoded value of {@code key} contains a match of {@code regexp}. */
    static boolean anyValueFinds(String query, String key, Pattern regexp) {
        if (query == null || query.isEmpty()) {
            return false;
        }
        int length = query.length();
        for (int start = 0; start <= length; ) {
            int end = query.indexOf('&', start);
            if (end < 0) {
                end = length;
            }
            int equals = pairSeparator(query, start, end);
            if (equals >= 0 && decodedEquals(query, start, equals, key)) {
                String value = decode(query, equals == end ? end : equals + 1, end);
                if (value != null && regexp.matcher(value).find()) {
                    return true;
                }
            }
            start = end + 1;
        }
        return false;
    }

    /** The index of the pair's {@code =} (or {@code end} when it has none); -1 for a pair to skip. */
    private static int pairSeparator(String query, int start, int end) {
        if (start == end) {
            return -1;
        }
        int equals = end;
        for (int i = start; i < end; i++) {
            char c = query.charAt(i);
            if (c == ';') {
                return -1;
            }
            if (c == '=' && equals == end) {
                equals = i;
            }
        }
        return equals;
    }

    private static boolean decodedEquals(String query, int start, int end, String expected) {
        for (int i = start; i < end; i++) {
            char c = query.charAt(i);
            if (c == '%' || c == '+') {
                return expected.equals(decode(query, start, end));
            }
        }
        return end - start == expected.length() && query.regionMatches(start, expected, 0, end - start);
    }

    /** The decoded text of {@code query[start, end)}, or null when it has a malformed escape. */
    static String decode(String query, int start, int end) {
        ByteArrayOutputStream bytes = null;
        for (int i = start; i < end; i++) {
            char c = query.charAt(i);
            if (c == '%' || c == '+') {
                bytes = new ByteArrayOutputStream(end - start);
                break;
            }
        }
        if (bytes == null) {
            return query.substring(start, end);
        }
        int i = start;
        while (i < end) {
            char c = query.charAt(i);
            if (c == '+') {
                bytes.write(' ');
                i++;
            } else if (c == '%') {
                int hi = i + 2 < end ? IpAddress.hex(query.charAt(i + 1)) : -1;
                int lo = hi >= 0 ? IpAddress.hex(query.charAt(i + 2)) : -1;
                if (lo < 0) {
                    return null;
                }
                bytes.write(hi * 16 + lo);
                i += 3;
            } else {
                int run = i;
                while (run < end && query.charAt(run) != '%' && query.charAt(run) != '+') {
                    run++;
                }
                byte[] encoded = query.substring(i, run).getBytes(StandardCharsets.UTF_8);
                bytes.write(encoded, 0, encoded.length);
                i = run;
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
