package io.outpost.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PriorityLoadTest {

    /** Envoy's published table: two levels, P1 fully healthy, factor 1.4. */
    @ParameterizedTest
    @CsvSource({"100,100,0", "72,100,0", "71,99,1", "50,70,30", "25,35,65", "0,0,100"})
    void envoyTwoLevelRows(int p0HealthyPercent, int toP0, int toP1) {
        PriorityLoad load = PriorityLoad.compute(new int[] {p0HealthyPercent, 100}, new int[] {100, 100}, 1.4, 50);
        assertThat(load.loads()).containsExactly(toP0, toP1);
        assertThat(load.panic(0)).isFalse();
        assertThat(load.panic(1)).isFalse();
    }

    /** Envoy's panic-threshold examples: panic applies only when normalised health is below 100. */
    @Test
    void panicOnlyWhenTotalHealthIsShort() {
        PriorityLoad both25 = PriorityLoad.compute(new int[] {25, 25}, new int[] {100, 100}, 1.4, 50);
        assertThat(both25.loads()).containsExactly(50, 50);
        assertThat(both25.panic(0)).isTrue();
        assertThat(both25.panic(1)).isTrue();

        PriorityLoad p1At40 = PriorityLoad.compute(new int[] {0, 40}, new int[] {100, 100}, 1.4, 50);
        assertThat(p1At40.loads()).containsExactly(0, 100);
        assertThat(p1At40.panic(1)).isTrue();

        PriorityLoad p1At60 = PriorityLoad.compute(new int[] {30, 60}, new int[] {100, 100}, 1.4, 50);
        assertThat(p1At60.loads()).containsExactly(42, 58); // 42 + 84 > 100: 42/100 and the rest
        assertThat(p1At60.panic(0)).isFalse();
    }

    @Test
    void normalisesWhenTotalIsBelow100() {
        // health 70 and 28 -> total 98: 70*100/98 = 71, 28*100/98 = 28, remainder 1 to P0.
        PriorityLoad load = PriorityLoad.compute(new int[] {50, 20}, new int[] {100, 100}, 1.4, 0);
        assertThat(load.loads()).containsExactly(72, 28);
        assertThat(load.panic(0)).isFalse();
    }

    @Test
    void nothingHealthyGoesToFirstLevelInPanicUnlessDisabled() {
        PriorityLoad panic = PriorityLoad.compute(new int[] {0, 0}, new int[] {3, 2}, 1.4, 50);
        assertThat(panic.loads()).containsExactly(100, 0);
        assertThat(panic.panic(0)).isTrue();
        PriorityLoad noPanic = PriorityLoad.compute(new int[] {0, 0}, new int[] {3, 2}, 1.4, 0);
        assertThat(noPanic.panic(0)).isFalse();
    }

    @Test
    void customFactorAndSmallCounts() {
        // 1 of 3 healthy with factor 2.0: 200/3 = 66.
        PriorityLoad load = PriorityLoad.compute(new int[] {1, 2}, new int[] {3, 2}, 2.0, 50);
        assertThat(load.loads()).containsExactly(66, 34);
    }

    @Test
    void levelChoiceFollowsLoadAndIsStablePerHash() {
        PriorityLoad load = PriorityLoad.compute(new int[] {50, 100}, new int[] {100, 100}, 1.4, 50);
        assertThat(load.levelForPercent(0)).isZero();
        assertThat(load.levelForPercent(69)).isZero();
        assertThat(load.levelForPercent(70)).isEqualTo(1);
        assertThat(load.levelForPercent(99)).isEqualTo(1);
        int toP0 = 0;
        for (long h = 0; h < 10_000; h++) {
            int level = load.levelFor(h);
            assertThat(load.levelFor(h)).isEqualTo(level);
            toP0 += level == 0 ? 1 : 0;
        }
        assertThat(toP0).isBetween(6700, 7300);
        assertThatThrownBy(() -> load.levelForPercent(100)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aHugeFactorGivesEveryLevelWithAHealthyEndpointFullHealthWithoutOverflow() {
        for (double factor : new double[] {1e17, 1e300, Double.POSITIVE_INFINITY}) {
            PriorityLoad load = PriorityLoad.compute(new int[] {1, 2}, new int[] {1, 2}, factor, 50);
            assertThat(load.loads()).as("factor %s", factor).containsExactly(100, 0);
            PriorityLoad partial = PriorityLoad.compute(new int[] {1, 3}, new int[] {1000, 3}, factor, 50);
            assertThat(partial.loads()).as("factor %s", factor).containsExactly(100, 0);
        }
    }

    @Test
    void rejectsBadArguments() {
        assertThatThrownBy(() -> PriorityLoad.compute(new int[] {1}, new int[] {1}, 0.5, 50))
                .hasMessageContaining("overprovisioningFactor: 0.5 (expected: >= 1.0)");
        assertThatThrownBy(() -> PriorityLoad.compute(new int[] {1}, new int[] {1}, 1.4, 101))
                .hasMessageContaining("panicThreshold");
    }
}
