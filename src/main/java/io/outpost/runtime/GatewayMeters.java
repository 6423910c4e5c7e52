package io.outpost.runtime;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.outpost.config.OutpostConfig;
import io.outpost.observability.EndpointMetrics;
import io.outpost.observability.RequestMetrics;
import io.outpost.proxy.GatewayContext;
import io.outpost.service.MirroringService;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's meters that outlive snapshots: the registry {@code /metrics} renders, the request
 * meters every finished request goes to, the endpoints' health, and the JVM's and the process's
 * meters. Meters are kept by name and labels, so a new snapshot's services count on in the same
 * ones; {@link #route} and {@link #sweep} remove what the serving configuration no longer has.
 */
final class GatewayMeters implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(GatewayMeters.class);

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final RequestMetrics requests = new RequestMetrics(registry);
    private final EndpointMetrics endpoints;
    /** Listens to the JVM's GC notifications until closed. */
    private final JvmGcMetrics gc = new JvmGcMetrics();

    /** {@code serving}: the snapshot serving now, null before the first. */
    GatewayMeters(Supplier<GatewayRuntime> serving) {
        this.endpoints = new EndpointMetrics(registry, () -> {
            GatewayRuntime runtime = serving.get();
            return runtime == null ? Map.of() : runtime.services();
        });
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
    }

    PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Counts and times every request {@code context} finishes, and reports how many are in flight. */
    void record(GatewayContext context) {
        context.requestMetrics(requests);
        Gauge.builder("outpost.requests.in.flight", context, GatewayContext::inFlight)
                .description("requests between their head and the end of their response").register(registry);
    }

    /**
     * Counts requests only for the routers of {@code config}, about to serve, and removes the meters of the
     * others. Called just before its snapshot serves: its new routers' first requests count, and requests
     * still running on the replaced snapshot record nothing for the routers it removed, however late they end.
     * Never throws, as {@link #sweep}.
     */
    void route(OutpostConfig config) {
        try {
            requests.retain(config);
        } catch (RuntimeException e) {
            log.warn("request metrics of the replaced configuration could not be removed", e);
        }
    }

    /**
     * Removes the meters of services, mirrors and endpoints that {@code serving}, the snapshot serving, no
     * longer has, and adds those of its new endpoints. Never throws: it must not stand in the way of a swap.
     */
    void sweep(GatewayRuntime serving) {
        try {
            MirroringService.retainMeters(registry, serving.config().http().services());
            endpoints.retain(serving.services());
        } catch (RuntimeException e) {
            log.warn("metrics of the replaced configuration could not be updated", e);
        }
    }

    @Override
    public void close() {
        gc.close();
    }
}
