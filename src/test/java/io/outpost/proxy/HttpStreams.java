package io.outpost.proxy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Random well-formed HTTP/1.1 streams, written together with the events ({@link Decoded}) a decoder
 * must make of them. Requests vary what a parser must get right: pipelining, empty lines between
 * messages, bare LF line ends, whitespace around values, Content-Length and chunked bodies (chunk
 * extensions, leading zeros, trailers), {@code Expect: 100-continue}, and heads at the exact size
 * limits. Responses add interim 1xx, 101, 204, 304, answers to HEAD, and bodies read until close.
 */
final class HttpStreams {

    private static final String[] METHODS = {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "X-SYNC"};
    private static final String TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

    /** How many bytes a window of one-byte reads spans. */
    private static final int WINDOW = 200;

    private final Random random;
    private final StringBuilder wire = new StringBuilder();
    /** What the decoder must emit for the stream so far. */
    final List<String> expected = new ArrayList<>();

    HttpStreams(Random random) {
        this.random = random;
    }

    byte[] bytes() {
        return wire.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * Random cut points in a stream of {@code length} bytes: one-byte reads, small ones, or a few large
     * ones. A long stream gets its one-byte reads in a few windows of {@link #WINDOW} bytes, and
     * larger reads between them, so that it costs little more than a short one.
     */
    static int[] cuts(Random random, int length) {
        if (length == 0) {
            return new int[0];
        }
        int style = random.nextInt(4);
        int[] windows = {random.nextInt(length), random.nextInt(length), random.nextInt(length)};
        List<Integer> cuts = new ArrayList<>();
        int at = 0;
        while (true) {
            at += switch (style) {
                case 0 -> length <= 3 * WINDOW || inWindow(windows, at) ? 1 : 1 + random.nextInt(WINDOW);
                case 1 -> 1 + random.nextInt(length <= 10 * WINDOW ? 8 : 64);
                case 2 -> 1 + random.nextInt(200);
                default -> 1 + random.nextInt(Math.max(1, length / 3));
            };
            if (at >= length) {
                break;
            }
            cuts.add(at);
        }
        return cuts.stream().mapToInt(Integer::intValue).toArray();
    }

    private static boolean inWindow(int[] windows, int at) {
        for (int w : windows) {
            if (at >= w && at < w + WINDOW) {
                return true;
            }
        }
        return false;
    }

    // ---- requests ----

    /** Appends a request of random shape. */
    void request() {
        String method = pick(METHODS);
        boolean http10 = random.nextInt(10) == 0;
        String target = target();
        List<String[]> fields = new ArrayList<>();
        fields.add(new String[] {"Host", "shop.example"});
        for (int i = random.nextInt(6); i > 0; i--) {
            fields.add(new String[] {token(1 + random.nextInt(12)), value(random.nextInt(40))});
        }
        if (random.nextInt(5) == 0) {
            fields.add(new String[] {caseOf("Expect"), "100-continue"});
        }
        int framing = random.nextInt(http10 ? 2 : 3);
        byte[] body = framing == 0 ? new byte[0] : randomBytes(random.nextInt(3) == 0 ? 0 : random.nextInt(300));
        if (framing == 1) {
            fields.add(random.nextInt(fields.size() + 1),
                    new String[] {caseOf("Content-Length"), "0".repeat(random.nextInt(3)) + body.length});
        } else if (framing == 2) {
            fields.add(random.nextInt(fields.size() + 1),
                    new String[] {caseOf("Transfer-Encoding"), caseOf("chunked")});
        }
        for (int i = random.nextInt(3); i > 0; i--) {
            wire.append(random.nextBoolean() ? "\r\n" : "\n"); // RFC 9112 section 2.2: ignored before a request
        }
        head(method + " " + target + " " + (http10 ? "HTTP/1.0" : "HTTP/1.1"), fields);
        expected.add(Decoded.request(method, target, http10 ? "HTTP/1.0" : "HTTP/1.1", expectedFields(fields)));
        if (framing == 2) {
            chunked(body);
        } else {
            wire.append(latin1(body));
            if (body.length > 0) {
                expected.add(Decoded.body(latin1(body)));
            }
            expected.add(Decoded.end(List.of()));
        }
    }

    /**
     * Appends a request whose head is as large as the limits allow: its request line ({@code line}),
     * its fields ({@code fields}) or both, byte for byte at {@link ServerCodec#MAX_INITIAL_LINE} and
     * {@link ServerCodec#MAX_HEADER_SIZE}. {@code over} makes the chosen part one byte too long.
     */
    void largeRequest(boolean line, boolean fields, boolean over) {
        String eol = eol();
        // The line's limit counts its bytes before the LF, the CR included.
        int lineLength = line ? ServerCodec.MAX_INITIAL_LINE + (over ? 1 : 0) - (eol.length() - 1) : 40;
        String target = "/" + "l".repeat(lineLength - "GET  HTTP/1.1".length() - 1);
        // The fields' limit counts every byte after the request line, the empty line included.
        String host = "Host: shop.example" + eol;
        int fieldsLength = fields ? ServerCodec.MAX_HEADER_SIZE + (over ? 1 : 0) : 200;
        String big = "v".repeat(fieldsLength - host.length() - "X-Big: ".length() - 2 * eol.length());
        wire.append("GET ").append(target).append(" HTTP/1.1").append(eol).append(host)
                .append("X-Big: ").append(big).append(eol).append(eol);
        if (!over) {
            expected.add(Decoded.request("GET", target, "HTTP/1.1", List.of("Host: shop.example", "X-Big: " + big)));
            expected.add(Decoded.end(List.of()));
        } else if (line) {
            expected.add("> refused TooLongHttpLineException: An HTTP line is larger than "
                    + ServerCodec.MAX_INITIAL_LINE + " bytes. as GET /bad-request");
        } else {
            expected.add("> refused TooLongHttpHeaderException: HTTP header is larger than "
                    + ServerCodec.MAX_HEADER_SIZE + " bytes. as GET " + target);
        }
    }

    private void chunked(byte[] body) {
        List<String> trailers = new ArrayList<>();
        int at = 0;
        while (at < body.length) {
            int n = Math.min(body.length - at, 1 + random.nextInt(random.nextBoolean() ? 8 : 200));
            chunkLine(n);
            wire.append(latin1(body, at, n)).append(eol());
            at += n;
        }
        chunkLine(0);
        List<String[]> fields = new ArrayList<>();
        for (int i = random.nextInt(3); i > 0; i--) {
            fields.add(new String[] {token(1 + random.nextInt(10)), value(random.nextInt(30))});
        }
        if (random.nextInt(60) == 0) {
            // A trailer section near its limit, in lines near theirs.
            int left = MessageDecoder.MAX_TRAILERS - 200;
            while (left > MessageDecoder.MAX_CHUNK_LINE) {
                String v = "t".repeat(MessageDecoder.MAX_CHUNK_LINE - 20);
                fields.add(new String[] {"X-Long", v});
                left -= MessageDecoder.MAX_CHUNK_LINE;
            }
        }
        for (String[] f : fields) {
            wire.append(f[0]).append(':').append(ows()).append(f[1]).append(ows()).append(eol());
            trailers.add(f[0] + ": " + f[1]);
        }
        wire.append(eol());
        if (body.length > 0) {
            expected.add(Decoded.body(latin1(body)));
        }
        expected.add(Decoded.end(trailers));
    }

    private void chunkLine(int size) {
        String hex = Integer.toHexString(size);
        wire.append("0".repeat(random.nextInt(8) == 0 ? 1 + random.nextInt(3) : 0))
                .append(random.nextBoolean() ? hex : hex.toUpperCase(Locale.ROOT));
        int extension = random.nextInt(60);
        if (extension < 10) {
            wire.append(";name=value");
        } else if (extension < 15) {
            wire.append(" ;a=\"quoted; string\";b");
        } else if (extension == 15) {
            wire.append(';').append("x".repeat(MessageDecoder.MAX_CHUNK_LINE - 20)); // near the line limit
        }
        wire.append(eol());
    }

    // ---- responses ----

    /**
     * Appends interim responses and the final response to a request made with {@code method}.
     * {@code last}: nothing follows, so the body may be delimited by the close, or the response may
     * switch protocols (after which the rest of the stream is not HTTP).
     */
    void response(String method, boolean last) {
        for (int i = random.nextInt(4) == 0 ? 1 + random.nextInt(2) : 0; i > 0; i--) {
            int code = random.nextBoolean() ? 100 : 103;
            List<String[]> fields = code == 103 ? List.<String[]>of(new String[] {"Link", "</s.css>; rel=preload"})
                    : List.of();
            String reason = code == 100 ? "Continue" : "Early Hints";
            String version = version();
            head(version + " " + code + " " + reason, fields);
            expected.add(Decoded.response(version, code, reason, expectedFields(fields)));
            expected.add(Decoded.end(List.of()));
        }
        if (last && random.nextInt(8) == 0) {
            wire.append("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n");
            expected.add(Decoded.response("HTTP/1.1", 101, "Switching Protocols",
                    List.of("Upgrade: websocket", "Connection: upgrade")));
            expected.add(Decoded.end(List.of()));
            // Not HTTP any more, even when it looks like it: never decoded.
            wire.append(random.nextBoolean() ? "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
                    : latin1(randomBytes(random.nextInt(100))));
            return;
        }
        int code = pick(new Integer[] {200, 200, 201, 204, 206, 304, 404, 418, 500});
        String reason = switch (random.nextInt(4)) {
            case 0 -> "";
            case 1 -> "Something Else \u00e9";
            default -> io.netty.handler.codec.http.HttpResponseStatus.valueOf(code).reasonPhrase();
        };
        String version = version();
        String statusLine = version + " " + code + (reason.isEmpty() && random.nextBoolean() ? "" : " " + reason);
        boolean noBody = code == 204 || code == 304 || method.equals("HEAD");
        byte[] body = noBody ? new byte[0] : randomBytes(random.nextInt(3) == 0 ? 0 : random.nextInt(300));
        List<String[]> fields = new ArrayList<>();
        for (int i = random.nextInt(5); i > 0; i--) {
            fields.add(new String[] {token(1 + random.nextInt(12)), value(random.nextInt(40))});
        }
        int framing = random.nextInt(last ? 4 : 3); // 0 none (only without a body), 1 length, 2 chunked, 3 close
        if (framing == 0 && !noBody) {
            framing = 1;
        }
        boolean chunked = framing == 2;
        if (framing == 1 || chunked && random.nextInt(4) == 0 || noBody && random.nextBoolean()) {
            // Chunked wins over a Content-Length, which is dropped; without a body, it only describes one.
            int length = noBody ? 1 + random.nextInt(99) : body.length;
            fields.add(new String[] {caseOf("Content-Length"), String.valueOf(length)});
        }
        if (chunked) {
            fields.add(new String[] {caseOf("Transfer-Encoding"), caseOf("chunked")});
        }
        head(statusLine, fields);
        List<String> kept = new ArrayList<>();
        for (String field : expectedFields(fields)) {
            if (!(chunked && field.toLowerCase(Locale.ROOT).startsWith("content-length:"))) {
                kept.add(field);
            }
        }
        expected.add(Decoded.response(version, code, reason, kept));
        if (chunked && !noBody) {
            chunked(body);
            return;
        }
        if (!noBody) {
            wire.append(latin1(body));
            if (body.length > 0) {
                expected.add(Decoded.body(latin1(body)));
            }
        }
        expected.add(Decoded.end(List.of()));
    }

    // ---- pieces ----

    private void head(String startLine, List<String[]> fields) {
        wire.append(startLine).append(eol());
        for (String[] f : fields) {
            wire.append(f[0]).append(':').append(ows()).append(f[1]).append(ows()).append(eol());
        }
        wire.append(eol());
    }

    private static List<String> expectedFields(List<String[]> fields) {
        List<String> out = new ArrayList<>();
        for (String[] f : fields) {
            out.add(f[0] + ": " + f[1]);
        }
        return out;
    }

    private String target() {
        return switch (random.nextInt(8)) {
            case 0 -> "*";
            case 1 -> "http://shop.example:8080/a/b?c=d";
            case 2 -> "/" + token(random.nextInt(30)) + "?q=" + token(random.nextInt(10)) + "&%7E=%20";
            default -> "/" + token(random.nextInt(20)) + "/" + token(random.nextInt(20));
        };
    }

    /** A field value: visible characters, obs-text, and spaces or tabs inside, never at either end. */
    private String value(int length) {
        StringBuilder out = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            int kind = random.nextInt(20);
            char c;
            if (kind == 0 && i > 0 && i < length - 1) {
                c = random.nextBoolean() ? ' ' : '\t';
            } else if (kind == 1) {
                c = (char) (0x80 + random.nextInt(0x80));
            } else {
                c = (char) (0x21 + random.nextInt(0x7f - 0x21));
            }
            out.append(c);
        }
        return out.toString();
    }

    private String token(int length) {
        StringBuilder out = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            out.append(TCHARS.charAt(random.nextInt(TCHARS.length())));
        }
        return out.toString();
    }

    private String caseOf(String name) {
        return switch (random.nextInt(3)) {
            case 0 -> name.toLowerCase(Locale.ROOT);
            case 1 -> name.toUpperCase(Locale.ROOT);
            default -> name;
        };
    }

    private String ows() {
        return switch (random.nextInt(6)) {
            case 0 -> "";
            case 1 -> "\t";
            case 2 -> "  ";
            default -> " ";
        };
    }

    private String eol() {
        return random.nextInt(10) == 0 ? "\n" : "\r\n";
    }

    private String version() {
        return random.nextInt(8) == 0 ? "HTTP/1.0" : "HTTP/1.1";
    }

    private byte[] randomBytes(int n) {
        byte[] out = new byte[n];
        random.nextBytes(out);
        return out;
    }

    private <T> T pick(T[] values) {
        return values[random.nextInt(values.length)];
    }

    private static String latin1(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    private static String latin1(byte[] bytes, int from, int length) {
        return new String(bytes, from, length, StandardCharsets.ISO_8859_1);
    }
}
