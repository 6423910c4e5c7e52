package io.outpost.bench;

import io.outpost.router.RequestView;
import io.outpost.router.Route;
import io.outpost.router.RouteTable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Route lookup among 1,000 routers: the indexed {@link RouteTable} against trying every rule in
 * priority order. The mix: 40 hosts with 20 prefix routes each, path-only routes, host and path
 * regexps, and header/query rules that no index can narrow.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class RouteMatchBenchmark {

    @Param({"hostPrefix", "pathOnly", "regexp", "header", "miss"})
    public String shape;

    private RouteTable<String> table;
    private List<Route<String>> ordered;
    private RequestView request;

    @Setup
    public void setUp() {
        RouteTable.Builder<String> builder = RouteTable.builder();
        for (int h = 0; h < 40; h++) {
            for (int r = 0; r < 20; r++) {
                String rule = "Host(`svc" + h + ".shop.example`) && PathPrefix(`/api/v1/resource" + r + "`)"
                        + (r % 3 == 0 ? " && Method(`GET`, `HEAD`)" : r % 3 == 1 ? " && Method(`POST`)" : "");
                builder.add("h" + h + "-r" + r, rule, null, "svc" + h);
            }
        }
        for (int k = 0; k < 100; k++) {
            builder.add("static" + k, k % 2 == 0 ? "PathPrefix(`/static/" + k + "/`)" : "Path(`/health/" + k + "`)",
                    null, "static");
        }
        for (int k = 0; k < 25; k++) {
            builder.add("tenant" + k, "HostRegexp(`tenant" + k + "\\.[a-z]+\\.example`) && PathPrefix(`/t`)", null, "t");
            builder.add("items" + k, "PathRegexp(`/v[0-9]+/items" + k + "/[0-9]+`) && Method(`GET`)", null, "items");
        }
        for (int k = 0; k < 25; k++) {
            builder.add("hdr" + k, "Header(`X-Tenant`, `t" + k + "`) && Method(`GET`)", null, "hdr");
            builder.add("qry" + k, "Query(`beta`, `" + k + "`) && !ClientIP(`10.0.0.0/8`)", null, "qry");
        }
        table = builder.build();
        ordered = table.routes();
        if (table.size() != 1000) {
            throw new IllegalStateException("routes: " + table.size() + " (expected: 1000)");
        }
        request = switch (shape) {
            case "hostPrefix" -> new Request("GET", "svc17.shop.example", "/api/v1/resource12/items/42", "", Map.of());
            case "pathOnly" -> new Request("GET", "cdn.example", "/static/34/app.js", "", Map.of());
            case "regexp" -> new Request("GET", "other.example", "/v2/items7/123", "", Map.of());
            case "header" -> new Request("GET", "other.example", "/anything", "", Map.of("x-tenant", "t9"));
            case "miss" -> new Request("GET", "svc3.shop.example", "/nothing/here", "a=1", Map.of());
            default -> throw new IllegalArgumentException("shape: " + shape);
        };
        Route<String> indexed = table.match(request);
        if (indexed != linearScan() || (indexed == null) != shape.equals("miss")) {
            throw new IllegalStateException("shape " + shape + ": index and scan disagree or wrong outcome");
        }
    }

    @Benchmark
    public Route<String> indexed() {
        return table.match(request);
    }

    @Benchmark
    public Route<String> linearScan() {
        for (int i = 0, n = ordered.size(); i < n; i++) {
            Route<String> route = ordered.get(i);
            if (route.rule().matches(request)) {
                return route;
            }
        }
        return null;
    }

    private record Request(String method, String host, String path, String query, Map<String, String> headers)
            implements RequestView {

        @Override
        public String header(String name) {
            return headers.get(name.toLowerCase(java.util.Locale.ROOT));
        }

        @Override
        public String clientIp() {
            return "192.0.2.10";
        }
    }
}
