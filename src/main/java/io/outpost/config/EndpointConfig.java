package io.outpost.config;

import java.util.Objects;

/**
 * One upstream endpoint. Lower {@code priority} numbers are preferred; traffic spills to the next
 * level as health drops (Envoy's priority load). {@code weight} shares traffic within a level.
 */
public record EndpointConfig(UpstreamUrl url, int priority, int weight) {

    public EndpointConfig {
        Objects.requireNonNull(url, "url");
    }
}
