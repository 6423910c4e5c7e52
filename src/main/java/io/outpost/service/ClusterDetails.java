package io.outpost.service;

import io.outpost.config.ServiceConfig;
import io.outpost.upstream.Cluster;
import io.outpost.upstream.Endpoint;
import io.outpost.upstream.PriorityLoad;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What {@code /api/services/{name}} shows of a load-balancer service: per level and per endpoint. */
final class ClusterDetails {

    private ClusterDetails() {
    }

    static Map<String, Object> describe(ServiceConfig.LoadBalancer config, Cluster cluster, HealthWatch watch,
                                        LoadBalancerService.Env env) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "loadBalancer");
        m.put("policy", config.policy().toString());
        config.hashOn().ifPresent(k -> m.put("hashOn", k.toString()));
        PriorityLoad load = cluster.priorityLoad();
        List<Object> levels = new ArrayList<>();
        for (int i = 0; i < load.levels(); i++) {
            levels.add(Map.of("level", i, "load", load.load(i), "panic", load.panic(i)));
        }
        m.put("priorityLoads", levels);
        m.put("activeRequests", cluster.limits().requests().used());
        m.put("limits", Map.of("maxRequests", cluster.limits().requests().max(),
                "maxRetries", cluster.limits().retries().max()));
        m.put("activeRetries", cluster.retryBudget().activeRetries());
        List<Object> endpoints = new ArrayList<>();
        for (Endpoint e : cluster.endpoints()) {
            endpoints.add(endpoint(e, watch, env));
        }
        m.put("endpoints", endpoints);
        return m;
    }

    private static Map<String, Object> endpoint(Endpoint e, HealthWatch watch, LoadBalancerService.Env env) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("url", e.id());
        m.put("priority", e.priority());
        m.put("weight", e.weight());
        m.put("healthy", e.healthy());
        m.put("activeRequests", e.state().activeRequests());
        m.put("activeHealth", EndpointHealth.active(e, watch.checker(), env.ticker(), env.clock()));
        long until = watch.outliers() == null ? 0 : watch.outliers().ejectedUntilNanos(e);
        m.put("ejected", until != 0);
        if (until != 0) {
            m.put("ejectedUntil", EndpointHealth.wall(until, env.ticker(), env.clock()));
        }
        return m;
    }
}
