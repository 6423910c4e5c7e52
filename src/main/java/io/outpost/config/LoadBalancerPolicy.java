package io.outpost.config;

import java.util.Arrays;
import java.util.Optional;

/** How a load balancer picks an endpoint within a priority level. */
public enum LoadBalancerPolicy {
    ROUND_ROBIN("roundRobin", false),
    LEAST_REQUEST("leastRequest", false),
    RANDOM("random", false),
    RING_HASH("ringHash", true),
    MAGLEV("maglev", true);

    private final String keyword;
    private final boolean hashing;

    LoadBalancerPolicy(String keyword, boolean hashing) {
        this.keyword = keyword;
        this.hashing = hashing;
    }

    /** True for the consistent-hash policies, the only ones that use {@code hashOn}. */
    public boolean hashing() {
        return hashing;
    }

    public static Optional<LoadBalancerPolicy> fromKeyword(String keyword) {
        return Arrays.stream(values()).filter(p -> p.keyword.equals(keyword)).findFirst();
    }

    @Override
    public String toString() {
        return keyword;
    }
}
