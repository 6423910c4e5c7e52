package io.outpost.runtime;

import io.outpost.config.ServiceConfig;
import io.outpost.config.EndpointConfig;
import io.outpost.proxy.ForwardOptions;
import io.outpost.proxy.UpstreamTarget;
import io.outpost.replication.ReplicatedService;
import io.outpost.service.RoundRobinService;
import io.outpost.service.Service;
import java.util.List;

/** Builds the service of each kind from its configuration. */
public class ServiceFactory {

    /**
     * @param name    the service's name
     * @param config  its validated configuration
     * @param context what the service may use; see {@link BuildContext}
     */
    public Service create(String name, ServiceConfig config, BuildContext context) {
        if (config instanceof ServiceConfig.LoadBalancer lb) {
            List<UpstreamTarget> targets = lb.endpoints().stream().map(EndpointConfig::url)
                    .map(u -> UpstreamTarget.of(u.toString())).toList();
            return new RoundRobinService(name, targets, options(lb));
        }
        if (config instanceof ServiceConfig.Replicated replicated) {
            return ReplicatedService.create(name, replicated, context);
        }
        throw new UnsupportedOperationException("service " + name + ": " + config.type() + " is not supported yet");
    }

    static ForwardOptions options(ServiceConfig.LoadBalancer lb) {
        return new ForwardOptions((int) Math.max(1, lb.timeouts().connect().toMillis()),
                Math.max(1, lb.timeouts().responseHeader().toMillis()), lb.passHostHeader());
    }
}
