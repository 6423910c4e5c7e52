package io.outpost.middleware.auth;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.outpost.config.AllowEntry;
import io.outpost.config.Cidr;
import io.outpost.middleware.Exchange;
import io.outpost.middleware.Middleware;
import io.outpost.middleware.Next;
import java.util.List;
import java.util.Map;

/**
 * A router's {@code allow} list: network segmentation by caller. A request passes when its consumer is
 * listed, a validated claim matches a {@code claim:NAME=VALUE} entry, or the client address lies in a
 * listed range; everyone else gets 403. It runs last in the router's chain, after the route's
 * authentication middlewares, so that consumers and claims are known.
 *
 * <pre>{@code
 * routers: { inventory-writes: { ..., middlewares: [jwt], allow: [pos, "claim:azp=pos-service"] } }
 * }</pre>
 */
public final class AllowMiddleware implements Middleware {

    private static final String FORBIDDEN = Rejections.body(HttpResponseStatus.FORBIDDEN, "caller not allowed on this route");

    private final String[] consumers;
    private final String[] claimNames;
    private final String[] claimValues;
    private final Cidr[] ranges;

    public AllowMiddleware(String routerName, List<AllowEntry> entries) {
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("router " + routerName + ": allow: empty (expected: at least one entry)");
        }
        consumers = entries.stream().filter(e -> e instanceof AllowEntry.Consumer)
                .map(e -> ((AllowEntry.Consumer) e).name()).toArray(String[]::new);
        List<AllowEntry.Claim> claims = entries.stream().filter(e -> e instanceof AllowEntry.Claim)
                .map(e -> (AllowEntry.Claim) e).toList();
        claimNames = claims.stream().map(AllowEntry.Claim::name).toArray(String[]::new);
        claimValues = claims.stream().map(AllowEntry.Claim::value).toArray(String[]::new);
        ranges = entries.stream().filter(e -> e instanceof AllowEntry.Network)
                .map(e -> ((AllowEntry.Network) e).range()).toArray(Cidr[]::new);
    }

    @Override
    public void handle(Exchange exchange, Next next) {
        if (allowed(exchange)) {
            next.proceed(exchange);
        } else {
            exchange.respond(HttpResponseStatus.FORBIDDEN, null, Rejections.JSON, FORBIDDEN);
        }
    }

    private boolean allowed(Exchange exchange) {
        if (consumers.length > 0) {
            String consumer = Consumers.of(exchange);
            if (consumer != null) {
                for (String c : consumers) {
                    if (c.equals(consumer)) {
                        return true;
                    }
                }
            }
        }
        if (claimNames.length > 0) {
            Map<String, Object> claims = Claims.of(exchange);
            for (int i = 0; i < claimNames.length; i++) {
                Object value = claims.get(claimNames[i]);
                if (value != null && Claims.matches(value, claimValues[i])) {
                    return true;
                }
            }
        }
        return ranges.length > 0 && io.outpost.middleware.ClientAddress.inAny(ranges, exchange.clientIp());
    }
}
