package io.outpost.tls;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.outpost.proxy.ProxyExchange;
import io.outpost.proxy.RouteTarget;
import io.outpost.proxy.Routing;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The HTTP-01 challenges in progress, answered by the gateway itself at
 * {@code /.well-known/acme-challenge/<token>} on the resolver's entry point, before any router sees
 * the request. Outside an ACME order the map is empty and routing pays one emptiness check.
 */
public final class Http01Challenges {

    static final String PREFIX = "/.well-known/acme-challenge/";

    private record Pending(String entryPoint, String keyAuthorization) {}

    private final Map<String, Pending> pending = new ConcurrentHashMap<>();

    void add(String entryPoint, String token, String keyAuthorization) {
        pending.put(token, new Pending(entryPoint, keyAuthorization));
    }

    void remove(String token) {
        pending.remove(token);
    }

    /** {@code routing}, with pending challenges answered first. */
    public Routing wrap(Routing routing) {
        return (entryPoint, exchange) -> {
            if (!pending.isEmpty()) {
                RouteTarget challenge = challenge(entryPoint, exchange);
                if (challenge != null) {
                    return challenge;
                }
            }
            return routing.route(entryPoint, exchange);
        };
    }

    private RouteTarget challenge(String entryPoint, ProxyExchange exchange) {
        String path = exchange.path();
        if (!path.startsWith(PREFIX)) {
            return null;
        }
        Pending p = pending.get(path.substring(PREFIX.length()));
        if (p == null || !p.entryPoint().equals(entryPoint)) {
            return null;
        }
        return new RouteTarget("acme-http-01", "", ex ->
                ex.respond(HttpResponseStatus.OK, null, "application/octet-stream", p.keyAuthorization()));
    }
}
