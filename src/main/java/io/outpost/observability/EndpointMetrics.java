package io.outpost.observability;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.outpost.service.Service;
import io.outpost.upstream.Endpoint;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The health of every endpoint of the services now serving, as Traefik's {@code traefik_service_server_up}:
 * {@code outpost_service_endpoint_up{service,endpoint}} is 1 while the service may use the endpoint, else 0.
 * For a {@code loadBalancer} that means its health checks pass and outlier detection has not ejected it; for
 * a replica of a {@code replicated} service, that its health checks pass. Services that only hand requests on
 * (weighted, mirroring) have no endpoints of their own ({@link Service#endpoints()}). The gauges read the
 * services of the snapshot serving at scrape time, so that health carried across a reload shows without a
 * gap; {@link #retain} adds those of new endpoints and removes those of endpoints and services that are gone.
 */
public final class EndpointMetrics {

    static final String UP = "outpost.service.endpoint.up";

    private final MeterRegistry registry;
    private final Supplier<Map<String, Service>> serving;

    /** {@code serving}: the services of the snapshot serving now (empty before the first). */
    public EndpointMetrics(MeterRegistry registry, Supplier<Map<String, Service>> serving) {
        this.registry = registry;
        this.serving = serving;
    }

    /** Registers a gauge per endpoint of {@code services} (the snapshot serving) and removes the others. */
    public void retain(Map<String, Service> services) {
        for (Meter meter : registry.find(UP).meters()) {
            String service = meter.getId().getTag("service");
            if (endpoint(services, service, meter.getId().getTag("endpoint")) == null) {
                registry.remove(meter);
            }
        }
        services.forEach((name, service) -> {
            for (Endpoint e : service.endpoints()) {
                String id = e.id();
                if (registry.find(UP).tags("service", name, "endpoint", id).gauge() != null) {
                    continue; // kept from the snapshot before (or listed twice): it reads whichever snapshot serves
                }
                Gauge.builder(UP, () -> up(name, id))
                        .description("1 while the service may use the endpoint (healthy, not ejected), else 0")
                        .tags("service", name, "endpoint", id).register(registry);
            }
        });
    }

    private double up(String service, String id) {
        Endpoint e = endpoint(serving.get(), service, id);
        return e != null && e.healthy() ? 1 : 0;
    }

    private static Endpoint endpoint(Map<String, Service> services, String service, String id) {
        Service s = services == null ? null : services.get(service);
        if (s != null) {
            for (Endpoint e : s.endpoints()) {
                if (e.id().equals(id)) {
                    return e;
                }
            }
        }
        return null;
    }
}
