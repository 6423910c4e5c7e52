package io.outpost.middleware;

import io.outpost.config.MiddlewareConfig;

/** Placeholder until the middleware implementations land. */
public final class Middlewares {
    private Middlewares() {
    }

    public static Middleware create(String name, MiddlewareConfig config) {
        throw new UnsupportedOperationException("middleware " + name + ": " + config.type() + " is not built yet");
    }
}
