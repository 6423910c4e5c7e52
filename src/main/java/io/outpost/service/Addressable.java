package io.outpost.service;

import io.outpost.middleware.Exchange;
import io.outpost.proxy.UpstreamTarget;

/**
 * A service that can name the endpoint a request would go to without forwarding it. Mirrors use it
 * to send their copies on their own connections.
 */
public interface Addressable {

    /** The endpoint for {@code exchange}, or null when none is available. */
    UpstreamTarget choose(Exchange exchange);
}
