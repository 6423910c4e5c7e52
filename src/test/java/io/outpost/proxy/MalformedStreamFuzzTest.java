package io.outpost.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Property: damaged input ({@link Mutations} of valid streams) never makes a codec throw or leak (the
 * class fails on a leaked buffer), decodes the same however it is split into reads, and either
 * decodes into messages that obey the framing rules request smuggling attacks (one length at most,
 * never a length with a transfer coding, chunked last and only in HTTP/1.1, no folded or
 * control-character fields, a body of exactly the declared length) or is refused with one of the
 * codec's own failures, which the gateway answers with 400, 414 or 431. Each case prints its seed
 * and the mutations it made.
 */
class MalformedStreamFuzzTest {

    private static final long SEED = 0xF022_0001L;
    /**
     * The failures the gateway answers as malformed requests (400), with 414 and 431, or with 501 (a transfer
     * coding it does not implement).
     */
    private static final Set<Class<?>> REFUSALS = Set.of(HeadFields.MalformedHeadException.class,
            ServerCodec.SmugglingException.class, TooLongHttpLineException.class, TooLongHttpHeaderException.class,
            ServerCodec.NotImplementedCodingException.class);

    @Test
    void damagedRequestStreamsAreDecodedWithinTheFramingRulesOrRefused() {
        for (int i = 0; i < 1000; i++) {
            long seed = SEED + i;
            Random random = new Random(seed);
            HttpStreams stream = new HttpStreams(random);
            for (int n = 1 + random.nextInt(3); n > 0; n--) {
                stream.request();
            }
            List<String> applied = new ArrayList<>();
            byte[] wire = Mutations.mutate(random, stream.bytes(), applied);
            String why = "seed " + seed + ", " + applied;
            Decoded whole = decode(why, () -> Decoded.of(new EmbeddedChannel(new ServerCodec(true)), wire));
            Decoded split = decode(why, () -> Decoded.of(new EmbeddedChannel(new ServerCodec(true)), wire,
                    HttpStreams.cuts(random, wire.length)));

            assertThat(split.events).as(why).containsExactlyElementsOf(whole.events);
            assertThat(split.misplacedMarker).as(why).isNull();
            checkShape(why, whole.events);
            assertThat(whole.failures).as(why).allSatisfy(f -> assertThat(REFUSALS).contains(f.getClass()));
            for (Decoded.Message m : whole.messages) {
                checkRequest(why, (HttpRequest) m.head(), m);
            }
        }
    }

    @Test
    void damagedResponseStreamsAreDecodedWithinTheFramingRulesOrRefused() {
        for (int i = 0; i < 600; i++) {
            long seed = SEED + 10_000 + i;
            Random random = new Random(seed);
            HttpStreams stream = new HttpStreams(random);
            int n = 1 + random.nextInt(3);
            String[] methods = new String[n];
            for (int k = 0; k < n; k++) {
                methods[k] = random.nextInt(4) == 0 ? "HEAD" : "GET";
                stream.response(methods[k], k == n - 1);
            }
            List<String> applied = new ArrayList<>();
            byte[] wire = Mutations.mutate(random, stream.bytes(), applied);
            String why = "seed " + seed + ", " + applied;
            Decoded whole = decode(why, () -> Decoded.of(Decoded.upstream(methods), wire));
            Decoded split = decode(why, () -> Decoded.of(Decoded.upstream(methods), wire,
                    HttpStreams.cuts(random, wire.length)));

            assertThat(split.events).as(why).containsExactlyElementsOf(whole.events);
            checkShape(why, whole.events);
            assertThat(whole.failures).as(why)
                    .allSatisfy(f -> assertThat(f).isInstanceOf(HeadFields.MalformedHeadException.class));
            for (Decoded.Message m : whole.messages) {
                checkFields(why, m.head().headers(), false);
                assertThat(((HttpResponse) m.head()).status().reasonPhrase()).as(why)
                        .matches("[\\x09\\x20-\\x7e\\x80-\\xff]*");
            }
        }
    }

    /** A Content-Length of any number of digits is read as its exact value or refused, never as another. */
    @Test
    void contentLengthsOfAnySizeAreExactOrRefused() {
        for (int i = 0; i < 300; i++) {
            long seed = SEED + 20_000 + i;
            Random random = new Random(seed);
            String digits = digits(random, "0123456789", 1 + random.nextInt(25));
            java.math.BigInteger value = new java.math.BigInteger(digits);
            int available = 40;
            String wire = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + digits + "\r\n\r\n" + "b".repeat(available);
            String why = "seed " + seed + ", Content-Length: " + digits;
            Decoded d = decode(why, () -> Decoded.of(new EmbeddedChannel(new ServerCodec(true)),
                    wire.getBytes(StandardCharsets.ISO_8859_1)));
            checkExact(why, d, value, available);
        }
    }

    /** A chunk size of any number of hex digits is read as its exact value or refused, never as another. */
    @Test
    void chunkSizesOfAnySizeAreExactOrRefused() {
        for (int i = 0; i < 300; i++) {
            long seed = SEED + 30_000 + i;
            Random random = new Random(seed);
            String digits = digits(random, "0123456789abcdefABCDEF", 1 + random.nextInt(25));
            java.math.BigInteger value = new java.math.BigInteger(digits, 16);
            int available = 40;
            String wire = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + digits + "\r\n"
                    + "b".repeat(available);
            String why = "seed " + seed + ", chunk size " + digits;
            Decoded d = decode(why, () -> Decoded.of(new EmbeddedChannel(new ServerCodec(true)),
                    wire.getBytes(StandardCharsets.ISO_8859_1)));
            assertThat(d.messages).as(why).hasSize(1);
            if (!d.failures.isEmpty()) {
                assertThat(d.messages.get(0).refused()).as(why).isTrue();
            } else if (value.signum() == 0) {
                assertThat(d.messages.get(0).ended()).as(why).isFalse(); // the trailer section has not come
            } else {
                int expected = value.min(java.math.BigInteger.valueOf(available)).intValue();
                assertThat(d.unfinishedBody()).as(why).hasSize(expected);
            }
        }
    }

    private static void checkExact(String why, Decoded d, java.math.BigInteger value, int available) {
        if (!d.failures.isEmpty()) {
            assertThat(d.messages).as(why).isEmpty();
            assertThat(d.events).as(why).hasSize(1);
            return;
        }
        Decoded.Message first = d.messages.get(0);
        if (value.compareTo(java.math.BigInteger.valueOf(available)) > 0) {
            assertThat(d.messages).as(why).hasSize(1);
            assertThat(first.ended()).as(why).isFalse();
            assertThat(d.unfinishedBody()).as(why).hasSize(available);
        } else {
            assertThat(first.body()).as(why).hasSize(value.intValue());
            assertThat(first.ended()).as(why).isTrue();
        }
    }

    private static String digits(Random random, String alphabet, int n) {
        StringBuilder out = new StringBuilder(n);
        boolean zeros = random.nextInt(4) == 0;
        for (int i = 0; i < n; i++) {
            out.append(zeros && i < n - 1 ? '0' : alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return out.toString();
    }

    /** Decodes, turning anything the codec let escape into a failure that names the case. */
    private static Decoded decode(String why, Supplier<Decoded> decoding) {
        try {
            return decoding.get();
        } catch (RuntimeException | Error e) {
            throw new AssertionError(why + ": the codec let an exception escape", e);
        }
    }

    /** Heads, bodies and ends in order; nothing after a refusal. */
    private static void checkShape(String why, List<String> events) {
        boolean open = false;
        for (int i = 0; i < events.size(); i++) {
            String e = events.get(i);
            boolean last = i == events.size() - 1;
            if (e.startsWith("> refused") || e.startsWith("< refused") || e.startsWith("end refused")) {
                assertThat(last).as(why + ": nothing after a refusal in " + events).isTrue();
                assertThat(e.startsWith("end") == open).as(why + ": a refusal where it can not be in " + events).isTrue();
            } else if (e.startsWith("> ") || e.startsWith("< ")) {
                assertThat(open).as(why + ": a head inside a message in " + events).isFalse();
                open = true;
            } else if (e.startsWith("body ")) {
                assertThat(open).as(why + ": a body outside a message in " + events).isTrue();
            } else {
                assertThat(open).as(why + ": an end outside a message in " + events).isTrue();
                open = false;
            }
        }
    }

    private static void checkRequest(String why, HttpRequest request, Decoded.Message m) {
        assertThat(request.method().name()).as(why).matches("[!#$%&'*+\\-.^_`|~0-9A-Za-z]+");
        assertThat(request.uri()).as(why).matches("[\\x21-\\x7e\\x80-\\xff]+");
        HttpHeaders headers = request.headers();
        checkFields(why, headers, true);
        List<String> lengths = headers.getAll("content-length");
        boolean te = headers.contains("transfer-encoding");
        if (te) {
            assertThat(request.protocolVersion()).as(why).isEqualTo(HttpVersion.HTTP_1_1);
            List<String> codings = headers.getAll("transfer-encoding");
            String lastCoding = codings.get(codings.size() - 1);
            lastCoding = lastCoding.substring(lastCoding.lastIndexOf(',') + 1).trim();
            assertThat(lastCoding).as(why).isEqualToIgnoringCase("chunked");
        } else if (m.ended() && !m.refused()) {
            long length = lengths.isEmpty() ? 0 : Long.parseLong(lengths.get(0));
            assertThat((long) m.body().length).as(why + ": a body of the declared length").isEqualTo(length);
        }
    }

    /** The smuggling rules on fields: one length, never with a transfer coding, clean names and values. */
    private static void checkFields(String why, HttpHeaders headers, boolean request) {
        List<String> lengths = headers.getAll("content-length");
        assertThat(lengths).as(why).hasSizeLessThanOrEqualTo(1);
        if (request) {
            assertThat(!lengths.isEmpty() && headers.contains("transfer-encoding"))
                    .as(why + ": Content-Length with Transfer-Encoding").isFalse();
        }
        for (String length : lengths) {
            assertThat(length).as(why).matches("[0-9]{1,18}");
        }
        for (Map.Entry<String, String> field : headers.entries()) {
            assertThat(field.getKey()).as(why).matches("[!#$%&'*+\\-.^_`|~0-9A-Za-z]+");
            assertThat(field.getValue()).as(why).matches("([\\x21-\\x7e\\x80-\\xff]([\\x20\\x09\\x21-\\x7e\\x80-\\xff]*"
                    + "[\\x21-\\x7e\\x80-\\xff])?)?");
        }
    }

}
