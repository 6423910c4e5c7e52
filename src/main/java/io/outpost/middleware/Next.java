package io.outpost.middleware;

/** The rest of a chain: the next middleware, or the service at the end. */
@FunctionalInterface
public interface Next {

    void proceed(Exchange exchange);
}
