package io.outpost.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Property: the codecs decode a stream the same however TCP splits it into reads. Each case is a
 * random stream of valid messages ({@link HttpStreams}), decoded once from a single buffer and once
 * from random pieces (one-byte pieces included); both must give exactly the events the stream was
 * built to give. Each case has its own seed, printed when it fails, so that it can be replayed.
 */
class SplitInvarianceTest {

    private static final long SEED = 0x5EED_0001L;

    @Test
    void requestStreamsDecodeTheSameInOneReadAndInAnyPieces() {
        for (int i = 0; i < 300; i++) {
            long seed = SEED + i;
            Random random = new Random(seed);
            HttpStreams stream = new HttpStreams(random);
            for (int n = 1 + random.nextInt(4); n > 0; n--) {
                stream.request();
            }
            checkRequests(seed, random, stream);
        }
    }

    @Test
    void requestHeadsAtTheSizeLimitsDecodeTheSameInOneReadAndInAnyPieces() {
        for (int i = 0; i < 24; i++) {
            long seed = SEED + 1000 + i;
            Random random = new Random(seed);
            HttpStreams stream = new HttpStreams(random);
            if (random.nextBoolean()) {
                stream.request();
            }
            boolean line = i % 3 != 1;
            boolean fields = i % 3 != 0;
            boolean over = i % 4 == 3;
            stream.largeRequest(line, fields, over);
            if (!over) {
                stream.request();
            }
            checkRequests(seed, random, stream);
        }
    }

    @Test
    void responseStreamsDecodeTheSameInOneReadAndInAnyPieces() {
        for (int i = 0; i < 300; i++) {
            long seed = SEED + 2000 + i;
            Random random = new Random(seed);
            HttpStreams stream = new HttpStreams(random);
            int n = 1 + random.nextInt(4);
            String[] methods = new String[n];
            for (int k = 0; k < n; k++) {
                methods[k] = random.nextInt(4) == 0 ? "HEAD" : random.nextBoolean() ? "GET" : "POST";
                stream.response(methods[k], k == n - 1);
            }
            byte[] wire = stream.bytes();
            Decoded whole = Decoded.of(Decoded.upstream(methods), wire);
            Decoded split = Decoded.of(Decoded.upstream(methods), wire, HttpStreams.cuts(random, wire.length));
            assertThat(whole.events).as("seed %d: one read", seed).containsExactlyElementsOf(stream.expected);
            assertThat(split.events).as("seed %d: in pieces", seed).containsExactlyElementsOf(stream.expected);
        }
    }

    private static void checkRequests(long seed, Random random, HttpStreams stream) {
        byte[] wire = stream.bytes();
        Decoded whole = Decoded.of(new EmbeddedChannel(new ServerCodec(true)), wire);
        Decoded split = Decoded.of(new EmbeddedChannel(new ServerCodec(true)), wire,
                HttpStreams.cuts(random, wire.length));
        assertThat(whole.events).as("seed %d: one read", seed).containsExactlyElementsOf(stream.expected);
        assertThat(split.events).as("seed %d: in pieces", seed).containsExactlyElementsOf(stream.expected);
        assertThat(split.misplacedMarker).as("seed %d", seed).isNull();
    }

}
