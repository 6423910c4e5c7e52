package io.outpost.upstream.lb;

import io.outpost.upstream.Endpoint;
import java.util.random.RandomGenerator;

/**
 * Power of two choices: draw two endpoints (by weight) and take the one with fewer requests in
 * flight relative to its weight. Close to the best choice at the cost of two reads, and it avoids
 * the herd effect of always taking the global minimum. With equal latencies and enough requests
 * in flight, traffic settles in proportion to weight; with very few in flight the heavier
 * endpoints get slightly more than their share.
 */
final class LeastRequestLoadBalancer implements LoadBalancer {

    private final Endpoint[] endpoints;
    private final WeightedIndex index;
    private final RandomGenerator random;

    LeastRequestLoadBalancer(Endpoint[] endpoints, RandomGenerator random) {
        this.endpoints = endpoints;
        this.index = new WeightedIndex(endpoints);
        this.random = random;
    }

    @Override
    public Endpoint pick(long hash) {
        if (endpoints.length == 1) {
            return endpoints[0];
        }
        Endpoint a = endpoints[index.draw(random)];
        Endpoint b = endpoints[index.draw(random)];
        // (activeA + 1) / weightA <= (activeB + 1) / weightB, without division
        long costA = (a.state().activeRequests() + 1L) * b.weight();
        long costB = (b.state().activeRequests() + 1L) * a.weight();
        return costA <= costB ? a : b;
    }
}
