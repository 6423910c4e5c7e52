package io.outpost.service;

import io.outpost.proxy.ForwardListener;
import io.outpost.proxy.ForwardOptions;
import io.outpost.proxy.ProxyExchange;
import io.outpost.proxy.UpstreamTarget;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A load balancer over a static list of endpoints, in turn. A request that did not reach its
 * endpoint (connection refused, reset before any response byte) moves on to the next one, once
 * per endpoint, since the service never saw it.
 */
public final class RoundRobinService implements Service, ForwardListener {

    private final String name;
    private final UpstreamTarget[] targets;
    private final ForwardOptions options;
    private final AtomicInteger next = new AtomicInteger();

    public RoundRobinService(String name, List<UpstreamTarget> targets, ForwardOptions options) {
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("service " + name + ": no endpoints (expected: at least one)");
        }
        this.name = name;
        this.targets = targets.toArray(new UpstreamTarget[0]);
        this.options = options;
    }

    public String name() {
        return name;
    }

    public List<UpstreamTarget> targets() {
        return List.of(targets);
    }

    @Override
    public void handle(ProxyExchange exchange) {
        int i = Math.floorMod(next.getAndIncrement(), targets.length);
        exchange.forward(targets[i], this, options);
    }

    private static final String ATTEMPTS = "outpost.rr.attempts";

    @Override
    public boolean onNotReached(ProxyExchange exchange, UpstreamTarget target, Throwable cause) {
        Object tried = exchange.attribute(ATTEMPTS);
        int attempts = tried == null ? 1 : (Integer) tried;
        if (attempts >= targets.length) {
            return false;
        }
        exchange.attribute(ATTEMPTS, attempts + 1);
        int i = Math.floorMod(next.getAndIncrement(), targets.length);
        if (targets[i] == target) {
            i = (i + 1) % targets.length;
        }
        exchange.forward(targets[i], this, options);
        return true;
    }

    /**
     * Shown as a load balancer's endpoints are, so that the dashboard reads them alike: this service checks
     * none and sends to each in turn, so every one is {@code healthy} (may be used) and {@code unchecked}.
     */
    @Override
    public java.util.Map<String, Object> describe() {
        java.util.List<Object> endpoints = new java.util.ArrayList<>();
        for (UpstreamTarget t : targets) {
            endpoints.add(java.util.Map.of("url", t.scheme() + "://" + t.authority(), "healthy", true,
                    "activeHealth", EndpointHealth.UNCHECKED));
        }
        return java.util.Map.of("type", "loadBalancer", "policy", "roundRobin", "endpoints", endpoints);
    }

    @Override
    public String toString() {
        return "roundRobin" + List.of(targets);
    }
}
