package io.outpost.upstream.split;

import io.outpost.upstream.lb.SmoothWeighted;
import java.util.List;

/**
 * Chooses among child services by weight, for canaries and blue-green switches: with weights 9
 * and 1, exactly one request in every ten goes to the canary, interleaved (smooth weighted round
 * robin), not in bursts. Lock-free; immutable apart from one counter.
 *
 * <pre>{@code
 * WeightedSelector<Service> split = WeightedSelector.of(List.of(stable, canary), new int[] {9, 1}, 0);
 * Service s = split.next();
 * }</pre>
 */
public final class WeightedSelector<T> {

    private final List<T> children;
    private final SmoothWeighted order;

    private WeightedSelector(List<T> children, int[] weights, long start) {
        if (children.size() != weights.length) {
            throw new IllegalArgumentException("weights: " + weights.length + " (expected: one per child, "
                    + children.size() + ")");
        }
        this.children = List.copyOf(children);
        this.order = new SmoothWeighted(weights.clone(), start);
    }

    /**
     * @param weights one per child, each > 0
     * @param start where in the cycle to begin (0, or a random value so gateways do not align)
     */
    public static <T> WeightedSelector<T> of(List<T> children, int[] weights, long start) {
        return new WeightedSelector<>(children, weights, start);
    }

    public T next() {
        return children.get(order.next());
    }

    public List<T> children() {
        return children;
    }
}
