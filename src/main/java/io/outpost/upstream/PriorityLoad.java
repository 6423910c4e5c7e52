package io.outpost.upstream;

import java.util.Arrays;

/**
 * Envoy's priority-level arithmetic, as pure integer math. The health of a level is
 * {@code min(100, factor × healthy%)}; levels take traffic in order of priority in proportion to
 * their health, normalised when the total is below 100. When the normalised total is below 100,
 * a level whose healthy share is below the panic threshold is in panic: it balances over all its
 * endpoints, healthy or not.
 *
 * <pre>{@code
 * PriorityLoad load = PriorityLoad.compute(new int[] {5, 10}, new int[] {10, 10}, 1.4, 50);
 * load.loads();            // [70, 30]
 * load.levelFor(hash);     // 0 for 70% of hashes
 * }</pre>
 */
public final class PriorityLoad {

    public static final double DEFAULT_OVERPROVISIONING_FACTOR = 1.4;
    public static final int DEFAULT_PANIC_THRESHOLD = 50;

    private final int[] loads;
    private final boolean[] panic;
    private final int[] cumulative;

    private PriorityLoad(int[] loads, boolean[] panic) {
        this.loads = loads;
        this.panic = panic;
        this.cumulative = new int[loads.length];
        int sum = 0;
        for (int i = 0; i < loads.length; i++) {
            sum += loads[i];
            cumulative[i] = sum;
        }
    }

    /**
     * @param healthy healthy endpoints per level, index 0 the highest priority
     * @param total all endpoints per level
     * @param factor the overprovisioning factor, for example 1.4
     * @param panicThreshold percent in [0, 100]; 0 disables panic mode
     */
    public static PriorityLoad compute(int[] healthy, int[] total, double factor, int panicThreshold) {
        if (healthy.length != total.length || total.length == 0) {
            throw new IllegalArgumentException("levels: " + healthy.length + " healthy, " + total.length
                    + " total (expected: the same, at least one)");
        }
        if (!(factor >= 1.0)) {
            throw new IllegalArgumentException("overprovisioningFactor: " + factor + " (expected: >= 1.0)");
        }
        if (panicThreshold < 0 || panicThreshold > 100) {
            throw new IllegalArgumentException("panicThreshold: " + panicThreshold + " (expected: 0-100)");
        }
        int levels = total.length;
        // Past this, min(100, factor x healthy%) is 100 for any level with a healthy endpoint, and the
        // product below still fits in a long.
        long factorPercent = Math.min(Math.round(factor * 100), Long.MAX_VALUE / Integer.MAX_VALUE);
        int[] health = new int[levels];
        int sum = 0;
        for (int i = 0; i < levels; i++) {
            if (total[i] > 0) {
                health[i] = (int) Math.min(100, factorPercent * healthy[i] / total[i]);
            }
            sum += health[i];
        }
        int normalizedTotal = Math.min(100, sum);
        int[] loads = new int[levels];
        boolean[] panic = new boolean[levels];
        if (normalizedTotal == 0) {
            // Nothing is healthy: all traffic to the first level that has endpoints, in panic if enabled.
            int first = 0;
            while (first < levels - 1 && total[first] == 0) {
                first++;
            }
            loads[first] = 100;
            panic[first] = panicThreshold > 0 && total[first] > 0;
            return new PriorityLoad(loads, panic);
        }
        int remaining = 100;
        int firstHealthy = -1;
        for (int i = 0; i < levels; i++) {
            loads[i] = Math.min(remaining, health[i] * 100 / normalizedTotal);
            remaining -= loads[i];
            if (firstHealthy < 0 && health[i] > 0) {
                firstHealthy = i;
            }
        }
        loads[firstHealthy] += remaining;
        if (normalizedTotal < 100) {
            for (int i = 0; i < levels; i++) {
                panic[i] = total[i] > 0 && 100L * healthy[i] < (long) panicThreshold * total[i];
            }
        }
        return new PriorityLoad(loads, panic);
    }

    /** Percent of traffic per level; they add up to 100. */
    public int[] loads() {
        return loads.clone();
    }

    public int load(int level) {
        return loads[level];
    }

    /** True when {@code level} balances over all its endpoints, healthy or not. */
    public boolean panic(int level) {
        return panic[level];
    }

    public int levels() {
        return loads.length;
    }

    /** The level for a value in [0, 100). */
    public int levelForPercent(int value) {
        if (value < 0 || value >= 100) {
            throw new IllegalArgumentException("value: " + value + " (expected: 0-99)");
        }
        for (int i = 0; i < cumulative.length; i++) {
            if (value < cumulative[i]) {
                return i;
            }
        }
        return cumulative.length - 1;
    }

    /**
     * The level for a request's key hash. The hash is re-mixed first, so that the level choice
     * does not correlate with where the same hash lands on a ring; the same key always gets the
     * same level while the load stays the same.
     */
    public int levelFor(long hash) {
        return levelForPercent((int) Long.remainderUnsigned(XxHash64.mix(hash), 100));
    }

    @Override
    public String toString() {
        return "PriorityLoad" + Arrays.toString(loads) + (Arrays.toString(panic).contains("true")
                ? " panic" + Arrays.toString(panic) : "");
    }
}
