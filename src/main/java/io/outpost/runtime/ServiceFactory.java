package io.outpost.runtime;

import io.outpost.upstream.PerThreadRandom;
import io.outpost.config.ServiceConfig;
import io.outpost.replication.ReplicatedService;
import io.outpost.service.LoadBalancerService;
import io.outpost.service.MirroringService;
import io.outpost.service.Service;
import io.outpost.service.WeightedService;
import io.outpost.tls.UpstreamTls;
import io.outpost.upstream.Ticker;

/**
 * Builds the service of each kind from its configuration: the composition root where services get
 * their clock, randomness and scheduler.
 */
public class ServiceFactory {

    /**
     * @param name    the service's name
     * @param config  its validated configuration
     * @param context what the service may use; see {@link BuildContext}
     */
    public Service create(String name, ServiceConfig config, BuildContext context) {
        if (config instanceof ServiceConfig.LoadBalancer lb) {
            Service old = context.previous().get(name);
            return LoadBalancerService.create(name, lb, UpstreamTls.configured("service " + name, lb.tls()),
                    new LoadBalancerService.Env(context.scheduler(), Ticker.system(), PerThreadRandom.INSTANCE,
                            context.clock(), context.onActivation()),
                    old instanceof LoadBalancerService previous ? previous : null);
        }
        if (config instanceof ServiceConfig.Weighted w) {
            return new WeightedService(name, w, context.built(), 0);
        }
        if (config instanceof ServiceConfig.Mirroring m) {
            return new MirroringService(name, m, context.built(), context.metrics());
        }
        if (config instanceof ServiceConfig.Replicated replicated) {
            return ReplicatedService.create(name, replicated, context);
        }
        throw new IllegalArgumentException("service " + name + ": unknown type " + config.type());
    }
}
