package io.outpost.router;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An immutable set of routes that finds the one a request goes to: of all routes whose rule
 * matches, the one with the highest priority, ties going to the name that sorts first. The answer
 * is always that of trying every rule in that order, but with thousands of routes only a few rules
 * are tried: routes are indexed by the literal hosts and path prefixes their rules require (see
 * {@link RuleAnalysis}), and the rest wait in fallback lists.
 *
 * <pre>{@code
 * RouteTable<String> table = RouteTable.<String>builder()
 *         .add("pos", "Host(`shop.example`) && PathPrefix(`/pos`)", null, "pos-service")
 *         .add("web", "Host(`shop.example`)", null, "web-service")
 *         .build();
 * Route<String> route = table.match(request); // null: no route, answer 404
 * }</pre>
 *
 * <p>Build a new table when configuration changes; matching is thread-safe and allocates nothing
 * beyond what regular-expression matchers need.
 *
 * @param <T> what a route leads to
 */
public final class RouteTable<T> {

    private static final Comparator<Route<?>> ORDER = Comparator.<Route<?>>comparingInt(Route::priority)
            .reversed().thenComparing(Route::name);

    private final List<Route<T>> routes;
    private final Rule[] rules;
    private final Map<String, Bucket> byHost;
    private final Bucket anyHost;

    private RouteTable(List<Route<T>> ordered) {
        this.routes = List.copyOf(ordered);
        this.rules = new Rule[ordered.size()];
        Map<String, BucketBuilder> hostBuilders = new HashMap<>();
        BucketBuilder anyHostBuilder = new BucketBuilder();
        for (int rank = 0; rank < ordered.size(); rank++) {
            Rule rule = ordered.get(rank).rule();
            rules[rank] = rule;
            Set<String> hosts = RuleAnalysis.requiredHosts(rule);
            Set<String> prefixes = RuleAnalysis.requiredPrefixes(rule);
            if (hosts == null) {
                anyHostBuilder.add(rank, prefixes);
            } else {
                for (String host : hosts) {
                    hostBuilders.computeIfAbsent(host, h -> new BucketBuilder()).add(rank, prefixes);
                }
            }
        }
        Map<String, Bucket> buckets = new HashMap<>(hostBuilders.size() * 2);
        hostBuilders.forEach((host, builder) -> buckets.put(host, builder.build()));
        this.byHost = buckets;
        this.anyHost = anyHostBuilder.build();
    }

    /**
     * A table of the given routes.
     *
     * @throws IllegalArgumentException when two routes share a name
     */
    public static <T> RouteTable<T> of(Collection<Route<T>> routes) {
        List<Route<T>> ordered = new ArrayList<>(routes);
        Set<String> names = new HashSet<>();
        for (Route<T> route : ordered) {
            if (!names.add(route.name())) {
                throw new IllegalArgumentException("route " + route.name() + ": duplicate name (expected: unique names)");
            }
        }
        ordered.sort(ORDER);
        return new RouteTable<>(ordered);
    }

    public static <T> Builder<T> builder() {
        return new Builder<>();
    }

    /** The routes in the order they are tried: priority descending, then name ascending. */
    public List<Route<T>> routes() {
        return routes;
    }

    public int size() {
        return routes.size();
    }

    /** The route the request goes to, or null when none matches (the caller answers 404). */
    public Route<T> match(RequestView request) {
        String path = request.path();
        int best = Integer.MAX_VALUE;
        String host = request.host();
        if (host != null && !byHost.isEmpty()) {
            Bucket bucket = byHost.get(Args.asciiLowerCase(host));
            if (bucket != null) {
                best = bucket.search(rules, request, path, best);
            }
        }
        best = anyHost.search(rules, request, path, best);
        return best == Integer.MAX_VALUE ? null : routes.get(best);
    }

    /**
     * The routes filed under one host (or under none): a trie of required path prefixes, plus
     * the ranks of rules without one.
     */
    private static final class Bucket {
        private final PrefixTrie prefixes;
        private final int[] fallback;

        Bucket(PrefixTrie prefixes, int[] fallback) {
            this.prefixes = prefixes;
            this.fallback = fallback;
        }

        /**
         * The smallest rank below {@code best} whose rule matches, else {@code best}. Longer
         * prefixes go first: their rules tend to rank higher, and an early match lets the
         * remaining lists stop at their first rank beyond it.
         */
        int search(Rule[] rules, RequestView request, String path, int best) {
            if (prefixes.size > 0) {
                for (PrefixTrie.Node node = prefixes.deepestRanked(path); node != null; node = node.rankedParent) {
                    best = firstMatch(node.ranks, rules, request, best);
                }
            }
            return firstMatch(fallback, rules, request, best);
        }

        private static int firstMatch(int[] ranks, Rule[] rules, RequestView request, int best) {
            for (int rank : ranks) {
                if (rank >= best) {
                    break;
                }
                if (rules[rank].matches(request)) {
                    return rank;
                }
            }
            return best;
        }
    }

    private static final class BucketBuilder {
        private final PrefixTrie.Builder prefixes = new PrefixTrie.Builder();
        private final List<Integer> fallback = new ArrayList<>();

        void add(int rank, Set<String> required) {
            if (required == null) {
                fallback.add(rank);
            } else {
                for (String prefix : required) {
                    prefixes.add(prefix, rank);
                }
            }
        }

        Bucket build() {
            return new Bucket(prefixes.build(), fallback.stream().mapToInt(Integer::intValue).toArray());
        }
    }

    /** Collects routes; the table sorts them. */
    public static final class Builder<T> {
        private final List<Route<T>> routes = new ArrayList<>();

        private Builder() {
        }

        /** Adds a route from rule text; a null priority means the text's length. */
        public Builder<T> add(String name, String rule, Integer priority, T target) {
            return add(Route.of(name, rule, priority, target));
        }

        /** Adds a route from a parsed rule; a null priority means the length of its canonical text. */
        public Builder<T> add(String name, Rule rule, Integer priority, T target) {
            return add(Route.of(name, rule, priority, target));
        }

        public Builder<T> add(Route<T> route) {
            routes.add(route);
            return this;
        }

        public RouteTable<T> build() {
            return RouteTable.of(routes);
        }
    }
}
