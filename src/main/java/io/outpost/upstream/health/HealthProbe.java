package io.outpost.upstream.health;

import io.outpost.upstream.Endpoint;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** Sends one active health check: {@code GET path} to an endpoint, answered by the response's status. */
@FunctionalInterface
public interface HealthProbe {

    /**
     * The status of the answer to {@code GET path}, or an exception: the endpoint was not reached,
     * the TLS handshake failed, or no response head came within {@code timeout}.
     */
    CompletableFuture<Integer> get(Endpoint endpoint, String path, Duration timeout);
}
