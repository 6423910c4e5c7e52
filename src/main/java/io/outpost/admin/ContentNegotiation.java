package io.outpost.admin;

import java.util.Locale;

/**
 * Picks which of the formats an admin endpoint offers an {@code Accept} header prefers, as RFC 9110
 * section 12.5.1 has it: each offered type takes the weight of the most specific media range that
 * matches it ({@code type/subtype}, then {@code type/*}, then {@code *}{@code /*}), a weight of 0 means
 * "not acceptable", and the highest weight wins. A tie goes to the type whose range comes first in the
 * header, then to the type offered first. Parameters other than {@code q} take no part in matching.
 *
 * <pre>{@code
 * ContentNegotiation formats = new ContentNegotiation("text/plain", "application/openmetrics-text");
 * formats.choose("application/openmetrics-text;q=0, text/plain");   // 0
 * }</pre>
 *
 * <p>No header, or one that accepts none of the offered types, gets the first: a client that cannot
 * read it can say so, while a 406 would leave a scraper with nothing to report. A malformed range
 * (no subtype, a bad {@code q}) is skipped, as if it were not there. The header is read in one pass
 * without splitting it into strings, since scrapers ask every few seconds.
 */
final class ContentNegotiation {

    private final String[] types;
    private final int[] slashes;

    /** {@code offered}: {@code type/subtype} without parameters, the default first. */
    ContentNegotiation(String... offered) {
        if (offered.length == 0) {
            throw new IllegalArgumentException("offered: none (expected: at least one media type)");
        }
        types = new String[offered.length];
        slashes = new int[offered.length];
        for (int k = 0; k < offered.length; k++) {
            String type = offered[k].toLowerCase(Locale.ROOT);
            int slash = type.indexOf('/');
            if (slash <= 0 || slash == type.length() - 1 || type.indexOf('/', slash + 1) >= 0) {
                throw new IllegalArgumentException("offered[" + k + "]: \"" + offered[k] + "\" (expected: type/subtype)");
            }
            types[k] = type;
            slashes[k] = slash;
        }
    }

    /** The index of the offered type {@code accept} (null when absent) prefers. */
    int choose(String accept) {
        if (accept == null) {
            return 0;
        }
        int n = types.length;
        int[] specificity = new int[n];  // 0: no range matched yet
        int[] weight = new int[n];       // in thousandths
        int[] order = new int[n];        // which range gave the weight
        int len = accept.length();
        int i = 0;
        for (int range = 0; i < len; range++) {
            i = skipSpace(accept, i);
            if (i >= len) {
                break;
            }
            if (accept.charAt(i) == ',') {
                i++; // an empty list element
                continue;
            }
            int typeStart = i;
            i = token(accept, i);
            int typeEnd = i;
            boolean valid = typeEnd > typeStart && i < len && accept.charAt(i) == '/';
            int subStart = valid ? ++i : i;
            i = token(accept, i);
            int subEnd = i;
            valid &= subEnd > subStart;
            int q = 1000;
            while (valid) {
                i = skipSpace(accept, i);
                if (i >= len || accept.charAt(i) == ',') {
                    break;
                }
                if (accept.charAt(i) != ';') {
                    valid = false;
                    break;
                }
                i = skipSpace(accept, i + 1);
                int nameStart = i;
                i = token(accept, i);
                if (i == nameStart || i >= len || accept.charAt(i) != '=') {
                    valid = false;
                    break;
                }
                boolean isQ = i - nameStart == 1 && (accept.charAt(nameStart) == 'q' || accept.charAt(nameStart) == 'Q');
                int valueStart = ++i;
                i = i < len && accept.charAt(i) == '"' ? quoted(accept, i) : token(accept, i);
                if (i < 0) { // an unterminated quoted string takes the rest of the header with it
                    valid = false;
                    i = len;
                    break;
                }
                if (isQ) {
                    q = qvalue(accept, valueStart, i);
                    valid = q >= 0;
                }
            }
            if (valid) {
                for (int k = 0; k < n; k++) {
                    int s = specificity(accept, typeStart, typeEnd, subStart, subEnd, k);
                    if (s > specificity[k]) { // an equally specific range later in the header does not count
                        specificity[k] = s;
                        weight[k] = q;
                        order[k] = range;
                    }
                }
            }
            i = nextElement(accept, i);
        }
        int chosen = -1;
        for (int k = 0; k < n; k++) {
            if (specificity[k] > 0 && weight[k] > 0 && (chosen < 0 || weight[k] > weight[chosen]
                    || weight[k] == weight[chosen] && order[k] < order[chosen])) {
                chosen = k;
            }
        }
        return chosen < 0 ? 0 : chosen;
    }

    /** 3 when the range names offered type {@code k}, 2 for its {@code type/*}, 1 for {@code *}{@code /*}, else 0. */
    private int specificity(String accept, int typeStart, int typeEnd, int subStart, int subEnd, int k) {
        boolean anySubtype = subEnd - subStart == 1 && accept.charAt(subStart) == '*';
        if (typeEnd - typeStart == 1 && accept.charAt(typeStart) == '*') {
            return anySubtype ? 1 : 0;
        }
        String type = types[k];
        int slash = slashes[k];
        if (typeEnd - typeStart != slash || !accept.regionMatches(true, typeStart, type, 0, slash)) {
            return 0;
        }
        if (anySubtype) {
            return 2;
        }
        int subLength = type.length() - slash - 1;
        return subEnd - subStart == subLength && accept.regionMatches(true, subStart, type, slash + 1, subLength) ? 3 : 0;
    }

    /** A qvalue ({@code 0}, {@code 0.5}, {@code 1.000}) in thousandths, or -1 when it is not one. */
    static int qvalue(String s, int from, int to) {
        if (to == from) {
            return -1;
        }
        char first = s.charAt(from);
        if (first != '0' && first != '1') {
            return -1;
        }
        int value = (first - '0') * 1000;
        if (to == from + 1) {
            return value;
        }
        if (s.charAt(from + 1) != '.' || to - from - 2 > 3) {
            return -1;
        }
        int scale = 100;
        for (int i = from + 2; i < to; i++) {
            char d = s.charAt(i);
            if (d < '0' || d > '9') {
                return -1;
            }
            value += (d - '0') * scale;
            scale /= 10;
        }
        return value > 1000 ? -1 : value;
    }

    private static int skipSpace(String s, int i) {
        while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
            i++;
        }
        return i;
    }

    /** The end of the RFC 9110 token starting at {@code i}. */
    private static int token(String s, int i) {
        while (i < s.length() && isTokenChar(s.charAt(i))) {
            i++;
        }
        return i;
    }

    private static boolean isTokenChar(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }

    /** Just past the quoted string opening at {@code i}, or -1 when it is not closed. */
    private static int quoted(String s, int i) {
        for (i++; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                return i + 1;
            }
        }
        return -1;
    }

    /** Just past the comma that ends the element at {@code i}, skipping what is left of it (quotes included). */
    private static int nextElement(String s, int i) {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == ',') {
                return i + 1;
            }
            i = c == '"' ? quoted(s, i) : i + 1;
            if (i < 0) {
                return s.length();
            }
        }
        return i;
    }
}
