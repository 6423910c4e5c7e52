package io.outpost.runtime;

import io.outpost.config.ServiceConfig;
import io.outpost.config.EndpointConfig;
import io.outpost.proxy.ForwardOptions;
import io.outpost.proxy.UpstreamTarget;
import io.outpost.service.RoundRobinService;
import io.outpost.service.Service;
import io.outpost.tls.UpstreamTls;
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
            UpstreamTls tls = upstreamTls(name, lb);
            List<UpstreamTarget> targets = lb.endpoints().stream().map(EndpointConfig::url)
                    .map(u -> UpstreamTarget.of(u.toString(), tls)).toList();
            return new RoundRobinService(name, targets, options(lb));
        }
        throw new UnsupportedOperationException("service " + name + ": " + config.type() + " is not supported yet");
    }

    /** The TLS for https endpoints; reading its files can fail, which rejects the snapshot. */
    static UpstreamTls upstreamTls(String name, ServiceConfig.LoadBalancer lb) {
        if (lb.tls().isEmpty()) {
            return null;
        }
        try {
            return UpstreamTls.of(lb.tls().get());
        } catch (java.io.IOException e) {
            throw new IllegalStateException("service " + name + ": upstream TLS: " + e.getMessage(), e);
        }
    }

    static ForwardOptions options(ServiceConfig.LoadBalancer lb) {
        return new ForwardOptions((int) Math.max(1, lb.timeouts().connect().toMillis()),
                Math.max(1, lb.timeouts().responseHeader().toMillis()), lb.passHostHeader());
    }
}
