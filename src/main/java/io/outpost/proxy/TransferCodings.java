package io.outpost.proxy;

import java.nio.charset.StandardCharsets;

/**
 * The transfer codings of a message head, read from its {@code Transfer-Encoding} fields as one list
 * (RFC 9110 section 5.3: repeated fields are one comma-separated list), with the grammar of RFC 9112
 * section 6.1 ({@code transfer-coding = token *( OWS ";" OWS transfer-parameter )}, a parameter being
 * {@code token BWS "=" BWS ( token / quoted-string )}). It only counts: what the counts mean for a
 * request or a response is for its codec to say. One instance per {@link HeadFields}, reset per head.
 */
final class TransferCodings {

    /** How many codings were listed, chunked ones included. */
    private int count;
    /** How many of them were chunked, with or without parameters. */
    private int chunkedCount;
    /** Whether the last one listed is chunked, without parameters. */
    private boolean lastChunked;
    /** Whether some element was empty or broke the grammar; then the counts are not to be trusted. */
    private boolean malformed;
    /** The codings other than chunked as they were written (for a message), or null when there are none. */
    private StringBuilder others;

    void reset() {
        count = 0;
        chunkedCount = 0;
        lastChunked = false;
        malformed = false;
        others = null;
    }

    /** Adds the codings of one field value, {@code h[from, to)}, already stripped of surrounding whitespace. */
    void add(byte[] h, int from, int to) {
        int pos = from;
        while (true) {
            // An empty field, or an empty element anywhere (", chunked", "gzip,,chunked", "chunked,"), is
            // malformed here: RFC 9110 section 5.6.1 lets a recipient skip empty elements, but a hop that
            // did not would frame the body differently.
            pos = element(h, skipWhitespace(h, pos, to), to);
            if (malformed || pos == to) {
                return;
            }
            pos++; // the comma
        }
    }

    /** Reads one coding and its parameters from {@code pos}; returns the index of the comma after it, or {@code to}. */
    private int element(byte[] h, int pos, int to) {
        int nameEnd = token(h, pos, to);
        if (nameEnd == pos) {
            malformed = true; // empty, or not starting with a token
            return to;
        }
        boolean chunked = nameEnd - pos == 7 && HeadFields.is(h, pos, "chunked");
        boolean parameters = false;
        int p = skipWhitespace(h, nameEnd, to);
        while (p < to && h[p] == ';') {
            parameters = true;
            p = parameter(h, skipWhitespace(h, p + 1, to), to);
            if (p < 0) {
                malformed = true;
                return to;
            }
            p = skipWhitespace(h, p, to);
        }
        if (p < to && h[p] != ',') {
            malformed = true;
            return to;
        }
        count++;
        if (chunked) {
            chunkedCount++;
        } else {
            if (others == null) {
                others = new StringBuilder();
            } else {
                others.append(", ");
            }
            others.append(new String(h, pos, nameEnd - pos, StandardCharsets.ISO_8859_1));
        }
        lastChunked = chunked && !parameters;
        return p;
    }

    /** Reads {@code token BWS "=" BWS ( token / quoted-string )}; returns the index after it, or -1. */
    private static int parameter(byte[] h, int pos, int to) {
        int nameEnd = token(h, pos, to);
        int eq = skipWhitespace(h, nameEnd, to);
        if (nameEnd == pos || eq == to || h[eq] != '=') {
            return -1;
        }
        int v = skipWhitespace(h, eq + 1, to);
        if (v < to && h[v] == '"') {
            return quoted(h, v + 1, to);
        }
        int valueEnd = token(h, v, to);
        return valueEnd == v ? -1 : valueEnd;
    }

    /** The index after the quoted string whose opening quote is before {@code pos}, or -1 when it does not end. */
    private static int quoted(byte[] h, int pos, int to) {
        for (int i = pos; i < to; i++) {
            if (h[i] == '"') {
                return i + 1;
            }
            if (h[i] == '\\') {
                i++; // quoted-pair
            }
        }
        return -1;
    }

    private static int token(byte[] h, int pos, int to) {
        while (pos < to && HeadFields.tchar(h[pos])) {
            pos++;
        }
        return pos;
    }

    private static int skipWhitespace(byte[] h, int pos, int to) {
        while (pos < to && (h[pos] == ' ' || h[pos] == '\t')) {
            pos++;
        }
        return pos;
    }

    /** Whether some element was empty or not a transfer coding. */
    boolean malformed() {
        return malformed;
    }

    /** Whether the last coding is chunked (without parameters, which chunked does not define). */
    boolean lastChunked() {
        return lastChunked && !malformed;
    }

    /** Whether chunked is the one coding, listed once. */
    boolean onlyChunked() {
        return count == 1 && lastChunked();
    }

    /** How many times chunked was listed. */
    int chunkedCount() {
        return chunkedCount;
    }

    /** The codings other than chunked, as listed (for a message); empty when there are none. */
    String others() {
        return others == null ? "" : others.toString();
    }
}
