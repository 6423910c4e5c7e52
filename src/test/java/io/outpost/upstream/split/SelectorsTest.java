package io.outpost.upstream.split;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SelectorsTest {

    @Test
    void tenPercentMirrorsExactlyOneInTen() {
        MirrorSelector mirror = new MirrorSelector(10);
        int chosen = 0;
        for (int i = 1; i <= 1000; i++) {
            boolean m = mirror.shouldMirror();
            assertThat(m).as("request %d", i).isEqualTo(i % 10 == 0);
            chosen += m ? 1 : 0;
        }
        assertThat(chosen).isEqualTo(100);
    }

    @Test
    void otherPercentagesAreExactToo() {
        assertThat(count(new MirrorSelector(0), 1000)).isZero();
        assertThat(count(new MirrorSelector(100), 1000)).isEqualTo(1000);
        assertThat(count(new MirrorSelector(33), 1000)).isEqualTo(330);
        assertThat(count(new MirrorSelector(0.5), 1000)).isEqualTo(5);
        assertThatThrownBy(() -> new MirrorSelector(101)).hasMessage("percent: 101.0 (expected: 0-100)");
    }

    @Test
    void weightedSelectorIsExactAndInterleaved() {
        WeightedSelector<String> split = WeightedSelector.of(List.of("stable", "canary"), new int[] {9, 1}, 0);
        Map<String, Integer> counts = new HashMap<>();
        StringBuilder firstTen = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            String s = split.next();
            counts.merge(s, 1, Integer::sum);
            if (i < 10) {
                firstTen.append(s.charAt(0));
            }
        }
        assertThat(counts).containsEntry("stable", 900).containsEntry("canary", 100);
        assertThat(firstTen.toString()).isEqualTo("ssssscssss");
        WeightedSelector<String> even = WeightedSelector.of(List.of("blue", "green"), new int[] {50, 50}, 0);
        assertThat(List.of(even.next(), even.next(), even.next())).containsExactly("blue", "green", "blue");
        assertThatThrownBy(() -> WeightedSelector.of(List.of("a"), new int[] {1, 2}, 0))
                .hasMessageContaining("expected: one per child");
    }

    private static int count(MirrorSelector m, int n) {
        int c = 0;
        for (int i = 0; i < n; i++) {
            c += m.shouldMirror() ? 1 : 0;
        }
        return c;
    }
}
