package io.outpost.middleware;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.outpost.config.Cidr;
import io.outpost.config.MiddlewareConfig;
import java.util.List;

/**
 * Keeps a route to known networks, such as a store's LAN or the cloud's egress range, and answers
 * 403 to everyone else. The client is the peer of the connection, as with Traefik's default
 * strategy; forwarding headers are not trusted. IPv4 and IPv6 ranges mix freely, and an
 * IPv4-mapped IPv6 peer ({@code ::ffff:10.1.2.3}) is matched as the IPv4 address it carries.
 */
final class IpAllowListMiddleware implements Middleware {

    private static final String FORBIDDEN = LocalErrors.body(HttpResponseStatus.FORBIDDEN, null);

    private final Cidr[] ranges;

    IpAllowListMiddleware(String name, MiddlewareConfig.IpAllowList config) {
        List<Cidr> list = config.sourceRange();
        if (list.isEmpty()) {
            throw Middlewares.invalid(name, "sourceRange: empty (expected: at least one IP range)");
        }
        ranges = list.toArray(new Cidr[0]);
    }

    @Override
    public void handle(Exchange exchange, Next next) {
        if (allowed(exchange.clientIp())) {
            next.proceed(exchange);
        } else {
            exchange.respond(HttpResponseStatus.FORBIDDEN, null, LocalErrors.JSON, FORBIDDEN);
        }
    }

    boolean allowed(String clientIp) {
        return ClientAddress.inAny(ranges, clientIp);
    }
}
