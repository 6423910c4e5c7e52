package io.outpost.runtime;

import io.outpost.config.OutpostConfig;
import io.outpost.proxy.ProxyExchange;
import io.outpost.proxy.RouteTarget;
import io.outpost.proxy.Routing;
import io.outpost.router.Route;
import io.outpost.router.RouteTable;
import io.outpost.service.Service;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One configuration compiled into what the proxy runs: a route table per entry point, and the
 * services and middleware chains the routes lead to. Immutable; a reload builds a new one and
 * swaps it in whole.
 */
public final class GatewayRuntime implements Routing {

    private static final Logger log = LoggerFactory.getLogger(GatewayRuntime.class);

    private final OutpostConfig config;
    private final Map<String, RouteTable<RouteTarget>> tables;
    private final Map<String, Service> services;
    /** What the services registered to run once this snapshot serves; see {@link BuildContext#onActivation}. */
    private List<Runnable> onActivation;

    GatewayRuntime(OutpostConfig config, Map<String, RouteTable<RouteTarget>> tables, Map<String, Service> services,
                   List<Runnable> onActivation) {
        this.config = config;
        this.tables = Map.copyOf(tables);
        this.services = Map.copyOf(services);
        this.onActivation = List.copyOf(onActivation);
    }

    /**
     * Runs, once, what the services deferred until this snapshot is the one serving (taking over or
     * stopping the replaced snapshot's health checks, starting their own). Called right after the swap.
     */
    synchronized void activate() {
        List<Runnable> actions = onActivation;
        onActivation = List.of();
        for (Runnable action : actions) {
            try {
                action.run();
            } catch (RuntimeException e) {
                log.error("configuration applied, but a service failed to start its background work", e);
            }
        }
    }

    @Override
    public RouteTarget route(String entryPoint, ProxyExchange exchange) {
        RouteTable<RouteTarget> table = tables.get(entryPoint);
        if (table == null) {
            return null;
        }
        Route<RouteTarget> route = table.match(exchange);
        return route == null ? null : route.target();
    }

    public OutpostConfig config() {
        return config;
    }

    public Map<String, Service> services() {
        return services;
    }

    /** Stops what the services run in the background (health checks, replicators). */
    void close() {
        services.values().forEach(Service::close);
    }
}
