package io.outpost.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Upstream timeouts: {@code connect}, {@code responseHeader} (from the end of the request to the
 * response head; a failover trigger for replicated services) and {@code idle} for pooled connections.
 */
public record TimeoutsConfig(Duration connect, Duration responseHeader, Duration idle) {

    public static final TimeoutsConfig DEFAULT =
            new TimeoutsConfig(Duration.ofSeconds(5), Duration.ofSeconds(60), Duration.ofSeconds(90));

    public TimeoutsConfig {
        Objects.requireNonNull(connect, "connect");
        Objects.requireNonNull(responseHeader, "responseHeader");
        Objects.requireNonNull(idle, "idle");
    }
}
