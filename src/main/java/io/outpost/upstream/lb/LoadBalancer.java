package io.outpost.upstream.lb;

import io.outpost.upstream.Endpoint;

/**
 * Picks one endpoint out of a fixed set, the set of one priority level of a cluster snapshot.
 * Implementations are immutable apart from atomics, so that event loops pick concurrently without
 * locks; a change of endpoints or health builds a new balancer.
 *
 * <p>{@code hash} is the request's key hash (see {@code HashKey}); only {@code ringHash} and
 * {@code maglev} use it, the others draw on their injected randomness or counters.
 */
@FunctionalInterface
public interface LoadBalancer {

    /** The chosen endpoint, or {@code null} when this balancer has no endpoints. */
    Endpoint pick(long hash);

    /** A balancer with no endpoints. */
    LoadBalancer EMPTY = hash -> null;
}
