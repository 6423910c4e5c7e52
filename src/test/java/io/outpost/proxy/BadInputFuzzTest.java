package io.outpost.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.outpost.service.RoundRobinService;
import io.outpost.testing.Backend;
import io.outpost.testing.ProxyHarness;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Property: damaged requests ({@link Mutations}) sent to a running gateway over a real socket get
 * documented answers and leave nothing behind. A stream whose first head the codec refuses is answered
 * 414 (request line too long), 431 (fields too large) or 400; any other answer comes from the gateway's
 * documented set or from the upstream. Every connection ends, no exchange stays in flight, and no
 * buffer leaks (the class fails on a leak). Each case prints its seed and its mutations.
 */
class BadInputFuzzTest {

    private static final long SEED = 0xBAD1_0001L;
    /**
     * What a request may get: 100 to its Expect, the upstream's echo (or its 404 for a target that is not
     * a path), 502 when the upstream closes instead (the JDK's server does on a chunked body with
     * trailers), or the gateway's own refusals.
     */
    private static final Set<Integer> ANSWERS = Set.of(100, 200, 404, 502, 400, 414, 417, 431);

    private static final Pattern STATUS_LINE = Pattern.compile("(?m)^HTTP/1\\.[01] (\\d{3})");

    private Backend backend;
    private ProxyHarness proxy;

    @BeforeEach
    void start() throws Exception {
        backend = Backend.start("b1");
        proxy = new ProxyHarness(new RoundRobinService("svc", List.of(UpstreamTarget.of(backend.url())),
                ForwardOptions.DEFAULTS));
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    @Test
    void damagedRequestsGetDocumentedAnswersAndLeaveNothingBehind() throws Exception {
        for (int i = 0; i < 150; i++) {
            long seed = SEED + i;
            Random random = new Random(seed);
            HttpStreams stream = new HttpStreams(random);
            if (random.nextInt(10) == 0) {
                boolean line = random.nextBoolean();
                stream.largeRequest(line, !line || random.nextBoolean(), true);
            } else {
                stream.request();
            }
            List<String> applied = new ArrayList<>();
            byte[] wire = random.nextInt(10) == 0 ? stream.bytes() : Mutations.mutate(random, stream.bytes(), applied);
            String why = "seed " + seed + ", " + applied;
            Decoded decoded = Decoded.of(new EmbeddedChannel(new ServerCodec(true)), wire, new int[0]);

            List<Integer> statuses;
            try {
                statuses = exchange(wire);
            } catch (java.net.SocketTimeoutException e) {
                throw new AssertionError(why + ": the gateway neither answered nor closed", e);
            }
            assertThat(statuses).as(why).allSatisfy(s -> assertThat(ANSWERS).contains(s));
            if (!decoded.events.isEmpty() && decoded.events.get(0).startsWith("> refused")) {
                assertThat(statuses).as(why + ": the answer to a refused head").containsExactly(
                        statusOf(decoded.failures.get(0)));
            }
        }
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> proxy.context.inFlight() == 0);
    }

    /** The status the gateway answers a head the codec refused with. */
    private static int statusOf(Throwable refusal) {
        if (refusal instanceof TooLongHttpLineException) {
            return 414;
        }
        return refusal instanceof TooLongHttpHeaderException ? 431 : 400;
    }

    /**
     * Sends {@code wire}, ends the request side, and reads until the gateway closes: the status of each
     * response, in order.
     */
    private List<Integer> exchange(byte[] wire) throws IOException {
        byte[] received;
        try (Socket socket = new Socket("127.0.0.1", proxy.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(wire);
            socket.shutdownOutput();
            received = readToEnd(socket.getInputStream());
        }
        List<Integer> statuses = new ArrayList<>();
        // Status lines start the input or follow a line end; the upstream's echo holds no line that
        // starts with a version.
        Matcher m = STATUS_LINE.matcher(new String(received, StandardCharsets.ISO_8859_1));
        while (m.find()) {
            statuses.add(Integer.parseInt(m.group(1)));
        }
        return statuses;
    }

    private static byte[] readToEnd(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try {
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
            }
        } catch (java.net.SocketException e) {
            // reset after the answer: what arrived before it counts
        }
        return out.toByteArray();
    }
}
