package io.outpost.upstream.lb;

import io.outpost.upstream.Endpoint;
import java.util.random.RandomGenerator;

/** Weighted random choice. Keeps no state between picks. */
final class RandomLoadBalancer implements LoadBalancer {

    private final Endpoint[] endpoints;
    private final WeightedIndex index;
    private final RandomGenerator random;

    RandomLoadBalancer(Endpoint[] endpoints, RandomGenerator random) {
        this.endpoints = endpoints;
        this.index = new WeightedIndex(endpoints);
        this.random = random;
    }

    @Override
    public Endpoint pick(long hash) {
        return endpoints[index.draw(random)];
    }
}
