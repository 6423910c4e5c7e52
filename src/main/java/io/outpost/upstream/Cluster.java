package io.outpost.upstream;

import io.outpost.router.RequestView;
import io.outpost.upstream.lb.LbPolicy;
import io.outpost.upstream.lb.LoadBalancer;
import io.outpost.upstream.resilience.ResourceLimits;
import io.outpost.upstream.resilience.RetryBudget;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * A service's endpoints as the proxy sees them: grouped by priority, balanced by one policy per
 * level, with Envoy's priority load and panic mode on top. Picks read an immutable snapshot; a
 * health change calls {@link #refresh()}, which builds and publishes a new one.
 *
 * <pre>{@code
 * Cluster cluster = Cluster.builder("web")
 *         .endpoints(List.of(Endpoint.of("http://10.0.0.1:80", 1, 0), Endpoint.of("http://10.0.0.2:80", 1, 1)))
 *         .policy("ringHash").hashOn("header:X-User")
 *         .random(ThreadLocalRandom.current())
 *         .build();
 * Endpoint e = cluster.pick(cluster.hash(request, claims::get)); // null: 503 no healthy upstream
 * }</pre>
 */
public final class Cluster {

    private final String name;
    private final List<Endpoint> endpoints;
    private final LbPolicy policy;
    private final HashKey hashKey;
    private final double overprovisioningFactor;
    private final int panicThreshold;
    private final RandomGenerator random;
    private final ResourceLimits limits;
    private final RetryBudget retryBudget;
    /** Endpoints grouped by level, densest first: level i is the i-th distinct priority. */
    private final Endpoint[][] levels;
    private final Object rebuildLock = new Object();
    private volatile Snapshot snapshot;

    private Cluster(Builder b) {
        this.name = b.name;
        this.policy = b.policy;
        this.hashKey = b.hashKey;
        this.overprovisioningFactor = b.overprovisioningFactor;
        this.panicThreshold = b.panicThreshold;
        this.random = Objects.requireNonNull(b.random, "random");
        this.limits = b.limits;
        this.retryBudget = b.retryBudget;
        this.endpoints = List.copyOf(b.endpoints);
        TreeMap<Integer, List<Endpoint>> byPriority = new TreeMap<>();
        for (Endpoint e : endpoints) {
            byPriority.computeIfAbsent(e.priority(), p -> new ArrayList<>()).add(e);
        }
        this.levels = byPriority.values().stream().map(l -> l.toArray(new Endpoint[0])).toArray(Endpoint[][]::new);
        this.snapshot = build(healthBits());
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    public String name() {
        return name;
    }

    public List<Endpoint> endpoints() {
        return endpoints;
    }

    public LbPolicy policy() {
        return policy;
    }

    public HashKey hashKey() {
        return hashKey;
    }

    public ResourceLimits limits() {
        return limits;
    }

    public RetryBudget retryBudget() {
        return retryBudget;
    }

    /** The load per priority level in the current snapshot (levels in priority order). */
    public PriorityLoad priorityLoad() {
        return snapshot.load;
    }

    /** The request's key hash: from {@code hashOn}, or random when it is unset or absent. */
    public long hash(RequestView request, Function<String, Object> claims) {
        return hashKey.hash(request, claims, random);
    }

    /**
     * Chooses an endpoint for a request with this key hash: the level from the priority load (so
     * the same key stays on the same level), then the endpoint from that level's balancer.
     *
     * @return the endpoint, or {@code null} when none may be used (answer 503 no healthy upstream)
     */
    public Endpoint pick(long hash) {
        Snapshot s = snapshot;
        int level = s.load.levelFor(hash);
        return s.balancers[level].pick(hash);
    }

    /** {@link #pick(long)} with a random hash, for requests without affinity. */
    public Endpoint pick() {
        return pick(random.nextLong());
    }

    /**
     * Re-reads every endpoint's health and, if any changed, publishes a new snapshot. Health
     * checkers and the outlier detector call this after a transition; it is cheap when nothing
     * changed.
     */
    public void refresh() {
        synchronized (rebuildLock) {
            long[] bits = healthBits();
            if (!Arrays.equals(bits, snapshot.healthBits)) {
                snapshot = build(bits);
            }
        }
    }

    private long[] healthBits() {
        long[] bits = new long[(endpoints.size() + 63) / 64];
        int i = 0;
        for (Endpoint[] level : levels) {
            for (Endpoint e : level) {
                if (e.healthy()) {
                    bits[i >>> 6] |= 1L << (i & 63);
                }
                i++;
            }
        }
        return bits;
    }

    private Snapshot build(long[] bits) {
        int n = Math.max(1, levels.length);
        int[] healthy = new int[n];
        int[] total = new int[n];
        List<List<Endpoint>> healthyLists = new ArrayList<>();
        int i = 0;
        for (int l = 0; l < levels.length; l++) {
            List<Endpoint> h = new ArrayList<>();
            for (Endpoint e : levels[l]) {
                if ((bits[i >>> 6] & 1L << (i & 63)) != 0) {
                    h.add(e);
                }
                i++;
            }
            healthy[l] = h.size();
            total[l] = levels[l].length;
            healthyLists.add(h);
        }
        PriorityLoad load = PriorityLoad.compute(healthy, total, overprovisioningFactor, panicThreshold);
        LoadBalancer[] balancers = new LoadBalancer[n];
        Arrays.fill(balancers, LoadBalancer.EMPTY);
        for (int l = 0; l < levels.length; l++) {
            List<Endpoint> members = load.panic(l) ? Arrays.asList(levels[l]) : healthyLists.get(l);
            if (load.load(l) > 0) {
                balancers[l] = policy.create(members, random);
            }
        }
        return new Snapshot(bits, load, balancers);
    }

    private record Snapshot(long[] healthBits, PriorityLoad load, LoadBalancer[] balancers) {
    }

    /** Builds a {@link Cluster}; defaults follow Envoy. */
    public static final class Builder {
        private final String name;
        private List<Endpoint> endpoints = List.of();
        private LbPolicy policy = LbPolicy.ROUND_ROBIN;
        private HashKey hashKey = HashKey.parse(null);
        private double overprovisioningFactor = PriorityLoad.DEFAULT_OVERPROVISIONING_FACTOR;
        private int panicThreshold = PriorityLoad.DEFAULT_PANIC_THRESHOLD;
        private RandomGenerator random;
        private ResourceLimits limits = ResourceLimits.defaults();
        private RetryBudget retryBudget = RetryBudget.defaults();
        private Cluster previous;

        private Builder(String name) {
            this.name = Objects.requireNonNull(name, "name");
        }

        public Builder endpoints(List<Endpoint> endpoints) {
            this.endpoints = List.copyOf(endpoints);
            return this;
        }

        public Builder policy(LbPolicy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        public Builder policy(String name) {
            return policy(LbPolicy.fromName(name));
        }

        public Builder hashOn(String spec) {
            this.hashKey = HashKey.parse(spec);
            return this;
        }

        public Builder overprovisioningFactor(double factor) {
            this.overprovisioningFactor = factor;
            return this;
        }

        /** Percent; 0 disables panic mode, so a cluster with no healthy endpoint picks none. */
        public Builder panicThreshold(int percent) {
            this.panicThreshold = percent;
            return this;
        }

        /** Randomness for policies and absent keys; must be safe for concurrent use. */
        public Builder random(RandomGenerator random) {
            this.random = random;
            return this;
        }

        public Builder limits(ResourceLimits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        public Builder retryBudget(RetryBudget retryBudget) {
            this.retryBudget = Objects.requireNonNull(retryBudget, "retryBudget");
            return this;
        }

        /**
         * On a configuration reload: endpoints with the same id as one of {@code old}'s keep its
         * live state (health, ejection, requests in flight).
         */
        public Builder previous(Cluster old) {
            this.previous = old;
            return this;
        }

        public Cluster build() {
            if (previous != null) {
                Map<String, Endpoint> old = new HashMap<>();
                previous.endpoints.forEach(e -> old.put(e.id(), e));
                endpoints = endpoints.stream().map(e -> {
                    Endpoint o = old.get(e.id());
                    return o == null ? e : o.reconfigure(e.weight(), e.priority());
                }).toList();
            }
            Map<String, Boolean> seen = new HashMap<>();
            for (Endpoint e : endpoints) {
                if (seen.put(e.id(), Boolean.TRUE) != null) {
                    throw new IllegalArgumentException("endpoints: " + e.id() + " is listed twice");
                }
            }
            return new Cluster(this);
        }
    }
}
