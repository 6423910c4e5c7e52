package io.outpost.runtime;

import io.outpost.config.ServiceConfig;
import io.outpost.config.EndpointConfig;
import io.outpost.proxy.ForwardOptions;
import io.outpost.proxy.UpstreamTarget;
import io.outpost.service.RoundRobinService;
import io.outpost.service.Service;
import java.util.List;
import java.util.function.Function;

/** Builds the service of each kind from its configuration. */
public class ServiceFactory {

    /**
     * @param name     the service's name
     * @param config   its validated configuration
     * @param built    services built so far in this snapshot, by name (for weighted and mirroring)
     */
    public Service create(String name, ServiceConfig config, Function<String, Service> built) {
        if (config instanceof ServiceConfig.LoadBalancer lb) {
            List<UpstreamTarget> targets = lb.endpoints().stream().map(EndpointConfig::url)
                    .map(u -> UpstreamTarget.of(u.toString())).toList();
            return new RoundRobinService(name, targets, options(lb));
        }
        throw new UnsupportedOperationException("service " + name + ": " + config.type() + " is not supported yet");
    }

    static ForwardOptions options(ServiceConfig.LoadBalancer lb) {
        return new ForwardOptions((int) Math.max(1, lb.timeouts().connect().toMillis()),
                Math.max(1, lb.timeouts().responseHeader().toMillis()), lb.passHostHeader());
    }
}
