package io.outpost.proxy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Random damage to a well-formed HTTP stream, of the kinds that trip parsers and that request
 * smuggling relies on: flipped, inserted and deleted bytes, doubled and bare line ends, control
 * characters in field names and values, huge and malformed lengths and chunk sizes, a second
 * framing field, obsolete line folding, another version, and a stream cut short. Each mutation
 * says what it did, for the failure message.
 */
final class Mutations {

    /** Field lines a smuggler adds: framing fields twice, disguised, or folded. */
    private static final String[] HOSTILE_FIELDS = {
        "Content-Length: 5", "Content-Length: 0", "Content-Length: +1", "Content-Length: 1, 1", "Content-Length: 0x10",
        "Content-Length: 99999999999999999999", "Content-Length: 999999999999999999", "Content-Length: -1",
        "Transfer-Encoding: chunked", "Transfer-Encoding: chunked, identity", "Transfer-Encoding: identity, chunked",
        "Transfer-Encoding: xchunked", "Transfer-Encoding:\tchunked", "Transfer-Encoding : chunked",
        " Transfer-Encoding: chunked", "\tContent-Length: 5", "Transfer-Encoding: \"chunked\"",
        "Content_Length: 5", "Transfer-Encoding: chunked\r", "X: a\rb", "X: a\u0000b", "X\u0000: a", ": empty name",
        "no colon", "Expect: 100-continue", "Expect: 200-ok", "Host: other.example", "Host: a b",
    };

    private static final String[] LENGTHS = {
        "18446744073709551616", "9223372036854775807", "9223372036854775808", "99999999999999999999999999",
        "999999999999999999", "1000000000000000000", "-1", "+5", "5 5", "0005", "1e3", "0x10", "", "\u00b9",
    };

    private static final String[] CHUNK_SIZES = {
        "FFFFFFFFFFFFFFFF", "8000000000000000", "7fffffffffffffff", "fffffffffffffff", "1000000000000000",
        "-1", "0x5", "+5", " 5", "5 5", "g", "", "00000000000000000005",
    };

    private static final String[] VERSIONS = {
        "HTTP/1.0", "HTTP/2.0", "HTTP/1.10", "http/1.1", "HTTP/1.1 ", "HTTP/1", "HTTP/0.9",
    };

    private Mutations() {}

    /** {@code wire} with one to three mutations; {@code applied} gets a line for each. */
    static byte[] mutate(Random random, byte[] wire, List<String> applied) {
        byte[] out = wire;
        for (int n = 1 + random.nextInt(3); n > 0; n--) {
            out = once(random, out, applied);
        }
        return out;
    }

    private static byte[] once(Random random, byte[] wire, List<String> applied) {
        if (wire.length == 0) {
            return wire;
        }
        int at = random.nextInt(wire.length);
        switch (random.nextInt(12)) {
            case 0 -> {
                int bit = random.nextInt(8);
                byte[] out = wire.clone();
                out[at] ^= (byte) (1 << bit);
                applied.add("flip bit " + bit + " at " + at);
                return out;
            }
            case 1 -> {
                byte b = (byte) random.nextInt(256);
                applied.add("insert " + hex(b) + " at " + at);
                return splice(wire, at, 0, new byte[] {b});
            }
            case 2 -> {
                int n = Math.min(wire.length - at, 1 + random.nextInt(8));
                applied.add("delete " + n + " at " + at);
                return splice(wire, at, n, new byte[0]);
            }
            case 3 -> {
                int lf = lineEndFrom(wire, at);
                if (lf < 0) {
                    return wire;
                }
                applied.add("double the line end at " + lf);
                return splice(wire, lf + 1, 0, "\r\n".getBytes(StandardCharsets.ISO_8859_1));
            }
            case 4 -> {
                int[] field = fieldLine(random, wire);
                if (field == null) {
                    return wire;
                }
                byte b = new byte[] {0, '\r', '\n', ' ', '\t', 0x7f, (byte) 0xff, 0x0b}[random.nextInt(8)];
                int pos = field[0] + random.nextInt(Math.max(1, field[1] - field[0]));
                applied.add("insert " + hex(b) + " into the field line at " + pos);
                return splice(wire, pos, 0, new byte[] {b});
            }
            case 5 -> {
                return replaceValue(random, wire, "content-length:", LENGTHS[random.nextInt(LENGTHS.length)], applied);
            }
            case 6 -> {
                int[] line = chunkSizeLine(random, wire);
                if (line == null) {
                    return wire;
                }
                String size = CHUNK_SIZES[random.nextInt(CHUNK_SIZES.length)];
                applied.add("chunk size at " + line[0] + " := '" + size + "'");
                return splice(wire, line[0], line[1] - line[0], size.getBytes(StandardCharsets.ISO_8859_1));
            }
            case 7 -> {
                int lf = firstLineEnd(random, wire);
                if (lf < 0) {
                    return wire;
                }
                String field = HOSTILE_FIELDS[random.nextInt(HOSTILE_FIELDS.length)];
                applied.add("add field '" + Decoded.escape(field) + "' at " + (lf + 1));
                return splice(wire, lf + 1, 0, (field + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            }
            case 8 -> {
                int[] field = fieldLine(random, wire);
                if (field == null) {
                    return wire;
                }
                applied.add("fold the field line ending at " + field[1]);
                return splice(wire, field[1], 0, "\r\n folded".getBytes(StandardCharsets.ISO_8859_1));
            }
            case 9 -> {
                applied.add("cut at " + at);
                return java.util.Arrays.copyOf(wire, at);
            }
            case 10 -> {
                int lf = lineEndFrom(wire, at);
                if (lf < 1 || wire[lf - 1] != '\r') {
                    return wire;
                }
                applied.add("bare CR line end at " + lf);
                return splice(wire, lf, 1, new byte[0]);
            }
            default -> {
                String version = VERSIONS[random.nextInt(VERSIONS.length)];
                int v = indexOf(wire, "HTTP/1.1".getBytes(StandardCharsets.ISO_8859_1), at);
                if (v < 0) {
                    return wire;
                }
                applied.add("version at " + v + " := '" + version + "'");
                return splice(wire, v, 8, version.getBytes(StandardCharsets.ISO_8859_1));
            }
        }
    }

    /** Replaces the value of the first field named {@code name} (lower case, with its colon) after a random point. */
    private static byte[] replaceValue(Random random, byte[] wire, String name, String value, List<String> applied) {
        String text = new String(wire, StandardCharsets.ISO_8859_1);
        String lower = text.toLowerCase(java.util.Locale.ROOT);
        int at = lower.indexOf(name, random.nextInt(wire.length));
        if (at < 0) {
            at = lower.indexOf(name);
        }
        if (at < 0) {
            return wire;
        }
        int start = at + name.length();
        int end = text.indexOf('\n', start);
        if (end < 0) {
            return wire;
        }
        if (end > start && text.charAt(end - 1) == '\r') {
            end--;
        }
        applied.add(name + " at " + at + " := '" + Decoded.escape(value) + "'");
        return splice(wire, start, end - start, (" " + value).getBytes(StandardCharsets.ISO_8859_1));
    }

    /** A line that looks like a chunk size (hex digits, then an extension or nothing): its digits' range. */
    private static int[] chunkSizeLine(Random random, byte[] wire) {
        List<int[]> lines = new ArrayList<>();
        int start = 0;
        while (start < wire.length) {
            int digits = start;
            while (digits < wire.length && Character.digit(wire[digits], 16) >= 0) {
                digits++;
            }
            if (digits > start && digits < wire.length && (wire[digits] == '\r' || wire[digits] == '\n'
                    || wire[digits] == ';')) {
                lines.add(new int[] {start, digits});
            }
            int lf = indexOf(wire, new byte[] {'\n'}, start);
            if (lf < 0) {
                break;
            }
            start = lf + 1;
        }
        return lines.isEmpty() ? null : lines.get(random.nextInt(lines.size()));
    }

    /** A line with a colon: its start and the index of its line end (CR or LF). */
    private static int[] fieldLine(Random random, byte[] wire) {
        List<int[]> lines = new ArrayList<>();
        int start = 0;
        while (start < wire.length) {
            int lf = indexOf(wire, new byte[] {'\n'}, start);
            if (lf < 0) {
                break;
            }
            int end = lf > start && wire[lf - 1] == '\r' ? lf - 1 : lf;
            int colon = indexOf(wire, new byte[] {':'}, start);
            if (colon >= 0 && colon < end) {
                lines.add(new int[] {start, end});
            }
            start = lf + 1;
        }
        return lines.isEmpty() ? null : lines.get(random.nextInt(lines.size()));
    }

    /** The end of a random start line (one holding "HTTP/"), where a field can be added. */
    private static int firstLineEnd(Random random, byte[] wire) {
        int from = random.nextInt(wire.length);
        int v = indexOf(wire, "HTTP/".getBytes(StandardCharsets.ISO_8859_1), from);
        if (v < 0) {
            v = indexOf(wire, "HTTP/".getBytes(StandardCharsets.ISO_8859_1), 0);
        }
        return v < 0 ? -1 : lineEndFrom(wire, v);
    }

    private static int lineEndFrom(byte[] wire, int from) {
        return indexOf(wire, new byte[] {'\n'}, from);
    }

    static int indexOf(byte[] haystack, byte[] needle, int from) {
        outer:
        for (int i = Math.max(0, from); i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static byte[] splice(byte[] wire, int at, int remove, byte[] insert) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(wire.length + insert.length);
        out.write(wire, 0, at);
        out.write(insert, 0, insert.length);
        out.write(wire, at + remove, wire.length - at - remove);
        return out.toByteArray();
    }

    private static String hex(byte b) {
        return String.format("0x%02x", b & 0xff);
    }
}
