package io.outpost.tls;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.outpost.proxy.ProxyExchange;
import io.outpost.proxy.RouteTarget;
import io.outpost.proxy.Routing;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The HTTP-01 challenges in progress, answered by the gateway itself at
 * {@code /.well-known/acme-challenge/<token>} on the resolver's entry point, before any router sees
 * the request. A challenge is keyed by its token and the domain it was issued for, as Traefik keys
 * it: a request whose host (without port, any case) is another name routes as usual, so the answer
 * is never handed out under a host it does not belong to. Outside an ACME order the map is empty
 * and routing pays one emptiness check.
 */
public final class Http01Challenges {

    static final String PREFIX = "/.well-known/acme-challenge/";

    private record Key(String token, String domain) {}

    private record Pending(String entryPoint, String keyAuthorization) {}

    private final Map<Key, Pending> pending = new ConcurrentHashMap<>();

    void add(String entryPoint, String domain, String token, String keyAuthorization) {
        pending.put(key(token, domain), new Pending(entryPoint, keyAuthorization));
    }

    void remove(String domain, String token) {
        pending.remove(key(token, domain));
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
        String host = exchange.host();
        if (!path.startsWith(PREFIX) || host == null || host.isEmpty()) {
            return null;
        }
        Pending p = pending.get(key(path.substring(PREFIX.length()), host));
        if (p == null || !p.entryPoint().equals(entryPoint)) {
            return null;
        }
        return new RouteTarget("acme-http-01", "", ex ->
                ex.respond(HttpResponseStatus.OK, null, "application/octet-stream", p.keyAuthorization()));
    }

    /** The host is already lower case and without its port; a fully qualified name's final dot is dropped. */
    private static Key key(String token, String domain) {
        String name = domain.toLowerCase(Locale.ROOT);
        return new Key(token, name.endsWith(".") ? name.substring(0, name.length() - 1) : name);
    }
}
