package io.outpost.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Binds {@code http.services.<name>}: exactly one of loadBalancer, weighted, mirroring or replicated. */
final class ServiceBinder {

    static final List<String> TYPES = List.of("loadBalancer", "weighted", "mirroring", "replicated");
    private static final Set<RequestKey.Source> SESSION_SOURCES =
            Set.of(RequestKey.Source.HEADER, RequestKey.Source.COOKIE, RequestKey.Source.CLAIM);
    private static final Set<RequestKey.Source> HASH_SOURCES = Set.of(RequestKey.Source.HEADER,
            RequestKey.Source.COOKIE, RequestKey.Source.QUERY, RequestKey.Source.CLAIM, RequestKey.Source.CLIENT_IP);

    private ServiceBinder() {}

    static Optional<ServiceConfig> bind(String name, Node node) {
        if (!node.isMapping()) {
            return Optional.empty();
        }
        List<String> found = new ArrayList<>();
        node.entries().keySet().forEach(key -> {
            if (TYPES.contains(key)) {
                found.add(key);
            } else {
                node.error("unknown service type '" + key + "' (expected one of " + String.join(", ", TYPES) + ")");
            }
        });
        if (found.size() != 1) {
            node.error("expected exactly one service type, found " + found.size()
                    + (found.isEmpty() ? "" : " (" + String.join(", ", found) + ")"));
            return Optional.empty();
        }
        Node body = node.section(found.get(0));
        return switch (found.get(0)) {
            case "loadBalancer" -> loadBalancer(name, body);
            case "weighted" -> weighted(name, body);
            case "mirroring" -> mirroring(body);
            case "replicated" -> replicated(body);
            default -> throw new IllegalStateException(found.get(0));
        };
    }

    private static Optional<ServiceConfig> loadBalancer(String name, Node body) {
        if (!body.mapping("policy", "hashOn", "overprovisioningFactor", "panicThreshold", "endpoints", "healthCheck",
                "outlierDetection", "retry", "circuitBreakers", "sticky", "timeouts", "passHostHeader", "tls")) {
            return Optional.empty();
        }
        LoadBalancerPolicy policy = body.parsed("policy", text -> LoadBalancerPolicy.fromKeyword(text).orElseThrow(
                () -> new IllegalArgumentException("unknown policy '" + text
                        + "' (expected one of roundRobin, leastRequest, random, ringHash, maglev)")))
                .orElse(LoadBalancerPolicy.ROUND_ROBIN);
        Optional<RequestKey> hashOn = body.parsed("hashOn", text -> RequestKey.parse(text, HASH_SOURCES));
        if (body.has("hashOn") && !policy.hashing()) {
            // A warning, not an error: DESIGN.md's own example sets hashOn on roundRobin.
            body.at("hashOn").warn("ignored: policy " + policy + " does not hash (only ringHash and maglev do)");
        }
        hashOn = policy.hashing() ? Optional.of(hashOn.orElse(RequestKey.CLIENT_IP)) : Optional.empty();
        List<EndpointConfig> endpoints = new ArrayList<>();
        List<Node> items = body.list("endpoints");
        // The cluster keeps one state (health, connections) per origin: the same one twice cannot be built.
        Map<UpstreamUrl, Integer> firstIndex = new HashMap<>();
        for (int i = 0; i < items.size(); i++) {
            Node item = items.get(i);
            Optional<EndpointConfig> endpoint = endpoint(item);
            if (endpoint.isEmpty()) {
                continue;
            }
            Integer first = firstIndex.putIfAbsent(endpoint.get().url(), i);
            if (first != null) {
                item.at("url").error("\"" + item.at("url").quietText() + "\" is the same endpoint as endpoints[" + first + "]");
            } else {
                endpoints.add(endpoint.get());
            }
        }
        if (!body.has("endpoints")) {
            body.error("missing required key 'endpoints'");
        } else if (items.isEmpty() && body.at("endpoints").isList()) {
            body.at("endpoints").error("expected at least one endpoint");
        }
        return Optional.of(new ServiceConfig.LoadBalancer(policy, hashOn, factor(body),
                body.integer("panicThreshold", ServiceConfig.LoadBalancer.DEFAULT_PANIC_THRESHOLD, 0, 100),
                endpoints,
                ServicePartsBinder.healthCheck(body.section("healthCheck")),
                ServicePartsBinder.outlierDetection(body.section("outlierDetection")),
                ServicePartsBinder.retry(body.section("retry")),
                ServicePartsBinder.circuitBreakers(body.section("circuitBreakers")),
                ServicePartsBinder.sticky(body.section("sticky"), name),
                ServicePartsBinder.timeouts(body.section("timeouts")),
                body.bool("passHostHeader", true),
                TlsBinder.upstream(body.section("tls"), endpoints.stream().anyMatch(e -> e.url().scheme().equals("https")))));
    }

    private static double factor(Node body) {
        Optional<Double> factor = body.optNumber("overprovisioningFactor");
        if (factor.isPresent() && !Double.isFinite(factor.get())) {
            body.at("overprovisioningFactor").error(factor.get() + " (expected: a finite number >= 1)");
        } else if (factor.isPresent() && factor.get() < 1) {
            body.at("overprovisioningFactor").error(factor.get() + " (expected: >= 1)");
        }
        return factor.filter(f -> f >= 1 && Double.isFinite(f)).orElse(ServiceConfig.LoadBalancer.DEFAULT_OVERPROVISIONING_FACTOR);
    }

    private static Optional<EndpointConfig> endpoint(Node item) {
        if (!item.mapping("url", "priority", "weight")) {
            return Optional.empty();
        }
        Optional<UpstreamUrl> url = item.has("url") ? item.parsed("url", UpstreamUrl::parse)
                : RootBinder.missing(item, "url", Optional.empty());
        int priority = item.integer("priority", 0, 0, 1000);
        int weight = weight(item, 1);
        return url.map(u -> new EndpointConfig(u, priority, weight));
    }

    private static int weight(Node item, int fallback) {
        var weight = item.optInt("weight");
        if (weight.isPresent() && weight.getAsInt() <= 0) {
            item.at("weight").error(weight.getAsInt() + " (expected: a weight > 0)");
            return fallback;
        }
        return weight.orElse(fallback);
    }

    private static Optional<ServiceConfig> weighted(String name, Node body) {
        if (!body.mapping("services", "sticky")) {
            return Optional.empty();
        }
        List<ServiceConfig.WeightedService> services = new ArrayList<>();
        List<Node> items = body.list("services");
        for (Node item : items) {
            if (item.mapping("name", "weight")) {
                String child = item.requiredString("name");
                int weight = item.has("weight") ? weight(item, 1) : RootBinder.missing(item, "weight", 1);
                services.add(new ServiceConfig.WeightedService(child, weight));
            }
        }
        if (!body.has("services")) {
            body.error("missing required key 'services'");
        } else if (items.isEmpty() && body.at("services").isList()) {
            body.at("services").error("expected at least one service");
        }
        return Optional.of(new ServiceConfig.Weighted(services, ServicePartsBinder.sticky(body.section("sticky"), name)));
    }

    private static Optional<ServiceConfig> mirroring(Node body) {
        if (!body.mapping("service", "mirrors", "maxBodySize")) {
            return Optional.empty();
        }
        String service = body.requiredString("service");
        List<ServiceConfig.Mirror> mirrors = new ArrayList<>();
        for (Node item : body.list("mirrors")) {
            if (item.mapping("name", "percent")) {
                String mirror = item.requiredString("name");
                int percent = item.integer("percent", 100, 0, 100);
                mirrors.add(new ServiceConfig.Mirror(mirror, percent));
            }
        }
        return Optional.of(new ServiceConfig.Mirroring(service, mirrors,
                body.size("maxBodySize", ServiceConfig.Mirroring.DEFAULT_MAX_BODY_SIZE)));
    }

    private static Optional<ServiceConfig> replicated(Node body) {
        if (!body.mapping("sessionKey", "writeMethods", "maxBodySize", "retention", "notReachedStatuses",
                "overprovisioningFactor", "replicas", "healthCheck", "timeouts", "tls")) {
            return Optional.empty();
        }
        Optional<RequestKey> sessionKey = body.parsed("sessionKey", text -> RequestKey.parse(text, SESSION_SOURCES));
        Set<String> writeMethods = body.has("writeMethods") ? ServicePartsBinder.methods(body, "writeMethods")
                : ServiceConfig.Replicated.DEFAULT_WRITE_METHODS;
        Set<Integer> notReached = ServiceConfig.Replicated.DEFAULT_NOT_REACHED_STATUSES;
        if (body.has("notReachedStatuses")) {
            notReached = new LinkedHashSet<>();
            for (Node item : body.list("notReachedStatuses")) {
                int status = statusOf(item);
                if (status > 0) {
                    notReached.add(status);
                }
            }
        }
        Map<String, ServiceConfig.Replica> replicas = new LinkedHashMap<>();
        Node replicasNode = body.at("replicas");
        if (!replicasNode.present()) {
            body.error("missing required key 'replicas'");
        } else {
            Map<String, Node> entries = replicasNode.entries();
            if (entries.isEmpty() && replicasNode.isObject()) {
                replicasNode.error("expected at least one replica");
            }
            entries.forEach((replicaName, r) -> replica(r).ifPresent(replica -> replicas.put(replicaName, replica)));
        }
        Duration retention = body.duration("retention", ServiceConfig.Replicated.DEFAULT_RETENTION);
        return Optional.of(new ServiceConfig.Replicated(sessionKey, writeMethods,
                body.size("maxBodySize", ServiceConfig.Replicated.DEFAULT_MAX_BODY_SIZE), retention, notReached,
                factor(body), replicas,
                ServicePartsBinder.healthCheck(body.section("healthCheck")),
                ServicePartsBinder.timeouts(body.section("timeouts")),
                TlsBinder.upstream(body.section("tls"), replicas.values().stream()
                        .anyMatch(r -> r.endpoints().stream().anyMatch(u -> u.scheme().equals("https"))))));
    }

    private static int statusOf(Node item) {
        String text = item.text();
        if (text == null) {
            return 0;
        }
        if (!text.matches("[1-5]\\d\\d")) {
            item.error("\"" + text + "\" is not an HTTP status (expected: 100-599)");
            return 0;
        }
        return Integer.parseInt(text);
    }

    private static Optional<ServiceConfig.Replica> replica(Node r) {
        if (!r.mapping("priority", "endpoints")) {
            return Optional.empty();
        }
        int priority = r.integer("priority", 0, 0, 1000);
        List<UpstreamUrl> endpoints = new ArrayList<>();
        List<Node> items = r.list("endpoints");
        items.forEach(item -> item.parse(UpstreamUrl::parse).ifPresent(endpoints::add));
        if (!r.has("endpoints")) {
            r.error("missing required key 'endpoints'");
        } else if (items.isEmpty() && r.at("endpoints").isList()) {
            r.at("endpoints").error("expected at least one endpoint");
        }
        return Optional.of(new ServiceConfig.Replica(priority, endpoints));
    }
}
