package io.outpost.runtime;

import io.netty.channel.EventLoopGroup;
import io.outpost.config.MiddlewareConfig;
import io.outpost.config.OutpostConfig;
import io.outpost.config.RouterConfig;
import io.outpost.config.ServiceConfig;
import io.outpost.middleware.Middleware;
import io.outpost.middleware.Middlewares;
import io.outpost.middleware.Next;
import io.outpost.middleware.auth.AllowMiddleware;
import io.outpost.proxy.ProxyExchange;
import io.outpost.proxy.RouteTarget;
import io.outpost.router.RouteTable;
import io.outpost.service.Service;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.ScheduledExecutorService;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Compiles a validated configuration into a {@link GatewayRuntime}. The configuration was already
 * checked, so what can fail here is only what needs the outside world (a port, a file); such a
 * failure rejects the whole snapshot and the previous one keeps serving.
 */
public final class RuntimeBuilder {

    private final ServiceFactory services;
    private final MeterRegistry metrics;
    private final ScheduledExecutorService scheduler;
    private final Clock clock;
    private final EventLoopGroup loops;

    public RuntimeBuilder(ServiceFactory services, MeterRegistry metrics, ScheduledExecutorService scheduler,
                          Clock clock, EventLoopGroup loops) {
        this.services = services;
        this.metrics = metrics;
        this.scheduler = scheduler;
        this.clock = clock;
        this.loops = loops;
    }

    /**
     * Compiles {@code config}. {@code previous} is the runtime it replaces (or null), whose services
     * hand their state to their successors of the same name. Nothing the running snapshot uses changes
     * until the result is {@linkplain GatewayRuntime#activate() activated}; if this throws, what was
     * built is closed and the running snapshot is as it was.
     *
     * @param journalDir where journals and quota counts are kept: the {@code journal.dir} the gateway
     *                   bound at start, which a reload does not change
     */
    public GatewayRuntime build(OutpostConfig config, GatewayRuntime previous, Path journalDir) {
        Map<String, Service> built = new LinkedHashMap<>();
        List<Runnable> onActivation = new ArrayList<>();
        BuildContext context = new BuildContext(metrics, scheduler, clock, journalDir, built::get,
                previous == null ? Map.of() : previous.services(), loops, onActivation::add);
        try {
            for (String name : inDependencyOrder(config.http().services())) {
                built.put(name, services.create(name, config.http().services().get(name), context));
            }
            Map<String, Middleware> middlewares = new HashMap<>();
            for (Map.Entry<String, MiddlewareConfig> e : config.http().middlewares().entrySet()) {
                middlewares.put(e.getKey(), Middlewares.create(e.getKey(), e.getValue(), context(journalDir)));
            }
            Map<String, RouteTable.Builder<RouteTarget>> tables = new HashMap<>();
            for (String ep : config.entryPoints().keySet()) {
                tables.put(ep, RouteTable.builder());
            }
            for (Map.Entry<String, RouterConfig> e : config.http().routers().entrySet()) {
                String name = e.getKey();
                RouterConfig router = e.getValue();
                Service service = built.get(router.service());
                RouteTarget target = new RouteTarget(name, router.service(),
                        chain(router.middlewares(), middlewares, allowed(name, router, service)));
                Integer priority = router.priority().isPresent() ? router.priority().getAsInt() : null;
                for (Map.Entry<String, RouteTable.Builder<RouteTarget>> table : tables.entrySet()) {
                    if (router.servesEntryPoint(table.getKey())) {
                        table.getValue().add(name, router.rule(), priority, target);
                    }
                }
            }
            Map<String, RouteTable<RouteTarget>> compiled = new HashMap<>();
            tables.forEach((ep, builder) -> compiled.put(ep, builder.build()));
            return new GatewayRuntime(config, compiled, built, onActivation);
        } catch (RuntimeException e) {
            built.values().forEach(Service::close);
            throw e;
        }
    }

    /** Services in an order where every child (of weighted or mirroring) comes before its parent. */
    static List<String> inDependencyOrder(Map<String, ServiceConfig> services) {
        List<String> order = new ArrayList<>();
        java.util.Set<String> done = new java.util.HashSet<>();
        for (String name : services.keySet()) {
            visit(name, services, done, order);
        }
        return order;
    }

    private static void visit(String name, Map<String, ServiceConfig> services, java.util.Set<String> done,
                              List<String> order) {
        ServiceConfig config = services.get(name);
        if (config == null || !done.add(name)) {
            return; // validation already rejected unknown names and cycles
        }
        for (String child : config.children()) {
            visit(child, services, done, order);
        }
        order.add(name);
    }

    private Middlewares.Context context(Path journalDir) {
        return new Middlewares.Context(journalDir.resolve("quota"), clock, System::nanoTime);
    }

    /** The service, behind the router's {@code allow} list when it has one (after its middlewares, so auth ran). */
    private static Next allowed(String name, RouterConfig router, Service service) {
        Next toService = ex -> service.handle((ProxyExchange) ex);
        if (router.allow().isEmpty()) {
            return toService;
        }
        AllowMiddleware allow = new AllowMiddleware(name, router.allow());
        return ex -> allow.handle(ex, toService);
    }

    private static Next chain(List<String> names, Map<String, Middleware> middlewares, Next end) {
        Next next = end;
        for (int i = names.size() - 1; i >= 0; i--) {
            Middleware m = middlewares.get(names.get(i));
            Next rest = next;
            next = ex -> m.handle(ex, rest);
        }
        return next;
    }
}
