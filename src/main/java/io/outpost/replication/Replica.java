package io.outpost.replication;

import io.outpost.upstream.Endpoint;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One replica of a replicated service as the gateway sees it at run time: its place in the priority
 * order, its endpoints (with their active health), whether an operator paused it, how deliveries
 * to it are going and whether reads should skip it. It outlives configuration reloads; {@link #reconfigure}
 * swaps the endpoints.
 */
final class Replica {

    private final String name;
    private final DeliveryHealth delivery;
    private final RateMeter replays;
    private final ReadHealth reads;
    private final AtomicInteger next = new AtomicInteger();
    private volatile int priority;
    private volatile List<Endpoint> endpoints;
    private volatile boolean paused;

    Replica(String name, int priority, List<Endpoint> endpoints, DeliveryHealth delivery, RateMeter replays,
            ReadHealth reads) {
        this.name = name;
        this.priority = priority;
        this.endpoints = List.copyOf(endpoints);
        this.delivery = delivery;
        this.replays = replays;
        this.reads = reads;
    }

    String name() {
        return name;
    }

    int priority() {
        return priority;
    }

    List<Endpoint> endpoints() {
        return endpoints;
    }

    void reconfigure(int newPriority, List<Endpoint> newEndpoints) {
        this.priority = newPriority;
        this.endpoints = List.copyOf(newEndpoints);
    }

    DeliveryHealth delivery() {
        return delivery;
    }

    RateMeter replays() {
        return replays;
    }

    ReadHealth reads() {
        return reads;
    }

    boolean paused() {
        return paused;
    }

    void paused(boolean value) {
        this.paused = value;
    }

    /** Healthy by its active health checks and by recent deliveries. */
    boolean healthy() {
        if (delivery.unreachable()) {
            return false;
        }
        for (Endpoint e : endpoints) {
            if (e.healthy()) {
                return true;
            }
        }
        return false;
    }

    /** The next endpoint in turn, healthy ones first; any endpoint when none is healthy. */
    Endpoint endpoint() {
        List<Endpoint> all = endpoints;
        int start = Math.floorMod(next.getAndIncrement(), all.size());
        for (int i = 0; i < all.size(); i++) {
            Endpoint e = all.get((start + i) % all.size());
            if (e.healthy()) {
                return e;
            }
        }
        return all.get(start);
    }

    @Override
    public String toString() {
        return name;
    }
}
