package io.outpost.upstream.lb;

import io.outpost.upstream.Endpoint;
import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The load-balancing policies, by their configuration names. Each builds a {@link LoadBalancer}
 * for one set of endpoints.
 *
 * <pre>{@code
 * LoadBalancer lb = LbPolicy.fromName("maglev").create(endpoints, ThreadLocalRandom.current());
 * }</pre>
 *
 * <p>The random generator must be safe for concurrent use: {@code ThreadLocalRandom.current()} in
 * production, a seeded generator in single-threaded tests.
 */
public enum LbPolicy {
    ROUND_ROBIN("roundRobin", false),
    LEAST_REQUEST("leastRequest", false),
    RANDOM("random", false),
    RING_HASH("ringHash", true),
    MAGLEV("maglev", true);

    private final String configName;
    private final boolean usesHash;

    LbPolicy(String configName, boolean usesHash) {
        this.configName = configName;
        this.usesHash = usesHash;
    }

    /** The name used in configuration, for example {@code roundRobin}. */
    public String configName() {
        return configName;
    }

    /** True for the policies that place a request by its key hash. */
    public boolean usesHash() {
        return usesHash;
    }

    public static LbPolicy fromName(String name) {
        for (LbPolicy p : values()) {
            if (p.configName.equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("policy: \"" + name + "\" (expected: one of "
                + Arrays.stream(values()).map(LbPolicy::configName).toList() + ")");
    }

    /** Builds a balancer over {@code endpoints}; an empty list gives {@link LoadBalancer#EMPTY}. */
    public LoadBalancer create(List<Endpoint> endpoints, RandomGenerator random) {
        if (endpoints.isEmpty()) {
            return LoadBalancer.EMPTY;
        }
        Endpoint[] array = endpoints.toArray(new Endpoint[0]);
        return switch (this) {
            case ROUND_ROBIN -> new RoundRobinLoadBalancer(array, random);
            case LEAST_REQUEST -> new LeastRequestLoadBalancer(array, random);
            case RANDOM -> new RandomLoadBalancer(array, random);
            case RING_HASH -> RingHashLoadBalancer.build(array, RingHashLoadBalancer.DEFAULT_MIN_RING_SIZE,
                    RingHashLoadBalancer.DEFAULT_MAX_RING_SIZE);
            case MAGLEV -> MaglevLoadBalancer.build(array, MaglevLoadBalancer.DEFAULT_TABLE_SIZE);
        };
    }
}
