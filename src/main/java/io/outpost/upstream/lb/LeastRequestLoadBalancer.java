package io.outpost.upstream.lb;

import io.outpost.upstream.Endpoint;
import java.util.random.RandomGenerator;

/**
 * Envoy's least-request balancer, with the two algorithms Envoy documents.
 *
 * <p>When every endpoint has the same weight: power of two choices. Two endpoints are drawn at
 * random and the one with fewer requests in flight is taken. Close to the best choice at the cost of
 * two reads, and it avoids the herd effect of always taking the global minimum.
 *
 * <p>When weights differ: each endpoint is taken with probability proportional to
 * {@code weight / (active + 1)}, Envoy's {@code weight / (active_requests + 1)^active_request_bias}
 * at its default bias of 1.0. Envoy walks an earliest-deadline schedule of these weights; a random
 * draw gives each endpoint the same share without a schedule that every event loop would have to
 * lock. The weight counts once: drawing by weight and then comparing load per weight, as two
 * choices would, favours heavy endpoints twice. A busy endpoint still gets some traffic, and with
 * many requests in flight a heavy endpoint gets less than its weight's share, as in Envoy.
 */
final class LeastRequestLoadBalancer implements LoadBalancer {

    private final Endpoint[] endpoints;
    private final boolean equalWeights;
    private final RandomGenerator random;

    LeastRequestLoadBalancer(Endpoint[] endpoints, RandomGenerator random) {
        this.endpoints = endpoints;
        this.random = random;
        boolean equal = true;
        for (Endpoint e : endpoints) {
            equal &= e.weight() == endpoints[0].weight();
        }
        this.equalWeights = equal;
    }

    @Override
    public Endpoint pick(long hash) {
        if (endpoints.length == 1) {
            return endpoints[0];
        }
        return equalWeights ? twoChoices() : byWeightOverLoad();
    }

    private Endpoint twoChoices() {
        Endpoint a = endpoints[random.nextInt(endpoints.length)];
        Endpoint b = endpoints[random.nextInt(endpoints.length)];
        return b.state().activeRequests() < a.state().activeRequests() ? b : a;
    }

    /**
     * One pass that reads each endpoint's requests in flight once, so that other event loops changing
     * them cannot make the draw fall outside the total: the i-th endpoint replaces the choice so far
     * with probability {@code w(i) / (w(1) + ... + w(i))}, which leaves each endpoint chosen with
     * probability {@code w(i) / total}.
     */
    private Endpoint byWeightOverLoad() {
        Endpoint chosen = endpoints[0];
        double total = 0;
        for (Endpoint e : endpoints) {
            double w = e.weight() / (e.state().activeRequests() + 1.0);
            total += w;
            if (random.nextDouble() * total < w) {
                chosen = e;
            }
        }
        return chosen;
    }
}
