package io.outpost.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class XxHash64Test {

    @Test
    void matchesPublishedVectors() {
        // Reference XXH64 values, seed 0, covering <4, 4..7, 8..31 and >= 32 byte paths.
        assertThat(XxHash64.hash(new byte[0])).isEqualTo(0xEF46DB3751D8E999L);
        assertThat(XxHash64.hash("a")).isEqualTo(0xD24EC4F1A98C6E5BL);
        assertThat(XxHash64.hash("abc")).isEqualTo(0x44BC2CF5AD770999L);
        assertThat(XxHash64.hash("Nobody inspects the spammish repetition")).isEqualTo(0xFBCEA83C8A378BF1L);
        assertThat(XxHash64.hash("The quick brown fox jumps over the lazy dog")).isEqualTo(0x0B242D361FDA71BCL);
        byte[] a32 = new byte[32];
        Arrays.fill(a32, (byte) 'a');
        assertThat(XxHash64.hash(a32)).isEqualTo(0x856E843298F99AD7L);
        byte[] hundred = new byte[100];
        for (int i = 0; i < hundred.length; i++) {
            hundred[i] = (byte) i;
        }
        assertThat(XxHash64.hash(hundred)).isEqualTo(0x6AC1E58032166597L);
    }

    @Test
    void offsetAndSeedAreHonoured() {
        byte[] padded = "xxabcyy".getBytes(StandardCharsets.UTF_8);
        assertThat(XxHash64.hash(padded, 2, 3, 0)).isEqualTo(0x44BC2CF5AD770999L);
        assertThat(XxHash64.hash("abc".getBytes(StandardCharsets.UTF_8), 1)).isNotEqualTo(0x44BC2CF5AD770999L);
        assertThatThrownBy(() -> XxHash64.hash(padded, 5, 3, 0)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void mixSpreadsConsecutiveValues() {
        assertThat(XxHash64.mix(1)).isNotEqualTo(XxHash64.mix(2));
        int[] buckets = new int[100];
        for (long i = 0; i < 100_000; i++) {
            buckets[(int) Long.remainderUnsigned(XxHash64.mix(i), 100)]++;
        }
        assertThat(Arrays.stream(buckets).min().orElseThrow()).isGreaterThan(850);
        assertThat(Arrays.stream(buckets).max().orElseThrow()).isLessThan(1150);
    }
}
