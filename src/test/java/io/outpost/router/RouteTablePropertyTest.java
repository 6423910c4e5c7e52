package io.outpost.router;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The indexed table must answer exactly like trying every rule, best priority first. Rules and
 * requests are drawn from small vocabularies so that many rules overlap and ties are common.
 */
class RouteTablePropertyTest {

    private static final String[] HOSTS = {"a.example", "b.example", "shop.example", "api.example"};
    private static final String[] PATHS = {"/", "/a", "/a/b", "/ab", "/api", "/api/v1", "/api/v1/items", "/pos",
        "/pos/items", "/posx", "/health"};
    private static final String[] PATH_REGEXPS = {"/api/v[0-9]+.*", "/a.*", "/p?os.*", ".*", "/a|/pos.*",
        "^/pos/items$", "/(api|pos)/.*", "/A.*"};
    private static final String[] METHODS = {"GET", "POST", "PUT"};
    private static final String[] IPS = {"10.0.0.0/8", "10.1.0.0/16", "192.0.2.7", "2001:db8::/32", "::1"};
    private static final String[] CLIENTS = {"10.1.2.3", "10.2.0.1", "192.0.2.7", "203.0.113.5", "2001:db8::9", "::1"};

    @Test
    void indexedMatchEqualsALinearScanInPriorityOrder() {
        int misses = 0;
        Set<String> winners = new HashSet<>();
        for (long seed = 1; seed <= 40; seed++) {
            Random random = new Random(seed);
            List<Route<Integer>> routes = new ArrayList<>();
            int count = seed % 2 == 0 ? 2 + random.nextInt(15) : 150 + random.nextInt(300);
            for (int i = 0; i < count; i++) {
                String rule = random.nextInt(5) < 3 ? typicalRule(random) : rule(random, 0);
                Integer priority = random.nextInt(3) == 0 ? null : random.nextInt(40);
                String name = Character.toString('a' + random.nextInt(26)) + i;
                routes.add(Route.of(name, rule, priority, i));
            }
            RouteTable<Integer> table = RouteTable.of(routes);
            for (int i = 0; i < 500; i++) {
                TestRequest request = request(random);
                Route<Integer> expected = linearScan(routes, request);
                Route<Integer> actual = table.match(request);
                assertThat(actual).as("seed %d, request %s", seed, request).isEqualTo(expected);
                if (expected == null) {
                    misses++;
                } else {
                    winners.add(seed + "/" + expected.name());
                }
            }
        }
        assertThat(misses).as("requests no route matched").isGreaterThan(500);
        assertThat(winners).as("distinct winning routes").hasSizeGreaterThan(300);
    }

    /** The reference: the best matching route, found without any index or pre-sorting. */
    private static Route<Integer> linearScan(List<Route<Integer>> routes, RequestView request) {
        Route<Integer> best = null;
        for (Route<Integer> route : routes) {
            if (route.rule().matches(request) && (best == null || route.priority() > best.priority()
                    || (route.priority() == best.priority() && route.name().compareTo(best.name()) < 0))) {
                best = route;
            }
        }
        return best;
    }

    /** The usual shape: a host and/or a path, sometimes narrowed by one more matcher. */
    private static String typicalRule(Random random) {
        String host = "Host(" + values(random, HOSTS, true) + ")";
        String path = (random.nextInt(4) == 0 ? "Path(" : "PathPrefix(") + values(random, PATHS, false) + ")";
        String rule = switch (random.nextInt(3)) {
            case 0 -> host;
            case 1 -> path;
            default -> host + " && " + path;
        };
        return random.nextBoolean() ? rule : rule + " && " + rule(random, 2);
    }

    private static String rule(Random random, int depth) {
        int choice = random.nextInt(depth >= 3 ? 10 : 14);
        return switch (choice) {
            case 0, 1 -> "Host(" + values(random, HOSTS, true) + ")";
            case 2 -> "HostRegexp(`" + pick(random, new String[] {"[a-b]\\.example", ".*\\.EXAMPLE", "shop.*"}) + "`)";
            case 3 -> "Path(" + values(random, PATHS, false) + ")";
            case 4, 5 -> "PathPrefix(" + values(random, PATHS, false) + ")";
            case 6 -> "PathRegexp(`" + pick(random, PATH_REGEXPS) + "`)";
            case 7 -> "Method(" + values(random, METHODS, true) + ")";
            case 8 -> random.nextBoolean() ? "Header(`X-Canary`, `1`)" : "Query(`debug`" + (random.nextBoolean()
                    ? ", `on`)" : ")");
            case 9 -> "ClientIP(" + values(random, IPS, false) + ")";
            case 10, 11 -> rule(random, depth + 1) + " && " + rule(random, depth + 1);
            case 12 -> "(" + rule(random, depth + 1) + " || " + rule(random, depth + 1) + ")";
            default -> "!" + (random.nextBoolean() ? rule(random, 3) : "(" + rule(random, depth + 1) + ")");
        };
    }

    private static String values(Random random, String[] from, boolean mixCase) {
        StringBuilder out = new StringBuilder();
        for (int i = 0, n = 1 + (random.nextInt(4) == 0 ? 1 : 0); i <= n - 1; i++) {
            String value = pick(random, from);
            if (mixCase && random.nextInt(4) == 0) {
                value = value.toUpperCase(java.util.Locale.ROOT);
            }
            out.append(i > 0 ? ", `" : "`").append(value).append('`');
        }
        return out.toString();
    }

    private static TestRequest request(Random random) {
        String host = random.nextInt(8) == 0 ? "other.example" : pick(random, HOSTS);
        if (random.nextInt(6) == 0) {
            host = host.toUpperCase(java.util.Locale.ROOT);
        }
        String path = pick(random, PATHS) + (random.nextBoolean() ? "" : pick(random, PATHS));
        TestRequest request = TestRequest.get(path).host(host).method(pick(random, METHODS))
                .clientIp(pick(random, CLIENTS));
        if (random.nextInt(3) == 0) {
            request = request.header("X-Canary", random.nextBoolean() ? "1" : "0");
        }
        if (random.nextInt(3) == 0) {
            request = request.query(random.nextBoolean() ? "debug=on" : "debug");
        }
        return request;
    }

    private static String pick(Random random, String[] from) {
        return from[random.nextInt(from.length)];
    }
}
