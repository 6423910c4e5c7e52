package io.outpost.upstream.lb;

import io.outpost.upstream.Endpoint;
import java.util.random.RandomGenerator;

/** Smooth weighted round robin (nginx): weighted, yet interleaved rather than in bursts. */
final class RoundRobinLoadBalancer implements LoadBalancer {

    private final Endpoint[] endpoints;
    private final SmoothWeighted order;

    RoundRobinLoadBalancer(Endpoint[] endpoints, RandomGenerator random) {
        this.endpoints = endpoints;
        int[] weights = new int[endpoints.length];
        for (int i = 0; i < endpoints.length; i++) {
            weights[i] = endpoints[i].weight();
        }
        this.order = new SmoothWeighted(weights, random.nextLong());
    }

    @Override
    public Endpoint pick(long hash) {
        return endpoints[order.next()];
    }
}
