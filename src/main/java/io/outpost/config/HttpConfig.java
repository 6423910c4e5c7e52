package io.outpost.config;

import java.util.Map;

/** The HTTP routing table: routers pick a service and pass requests through their middlewares. */
public record HttpConfig(
        Map<String, RouterConfig> routers,
        Map<String, MiddlewareConfig> middlewares,
        Map<String, ServiceConfig> services) {

    public static final HttpConfig EMPTY = new HttpConfig(Map.of(), Map.of(), Map.of());

    public HttpConfig {
        routers = Copies.map(routers);
        middlewares = Copies.map(middlewares);
        services = Copies.map(services);
    }
}
