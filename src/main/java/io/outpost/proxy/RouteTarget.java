package io.outpost.proxy;

import io.outpost.middleware.Next;

/** What a matched router leads to: its compiled middleware chain, ending in its service. */
public record RouteTarget(String routerName, String serviceName, Next chain) {
}
