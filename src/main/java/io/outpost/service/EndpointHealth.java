package io.outpost.service;

import io.outpost.upstream.Endpoint;
import io.outpost.upstream.Ticker;
import io.outpost.upstream.health.HealthCheckState;
import io.outpost.upstream.health.HttpHealthChecker;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How {@code /api/services} shows the active health of an endpoint, the same for every kind of service
 * (the dashboard reads it): {@code state} is {@code healthy} or {@code unhealthy} with {@code since} while a
 * health check watches the endpoint, and {@code unchecked} when none is configured; {@code lastError} is there
 * only while it explains the state (see {@link HealthCheckState#lastError}), never beside a recovered endpoint.
 * Beside it, each service shows {@code healthy}: whether it may use the endpoint now, which also weighs
 * outlier ejection for a load balancer.
 */
public final class EndpointHealth {

    /** The active health of an endpoint that no health check watches. */
    public static final Map<String, Object> UNCHECKED = Map.of("state", "unchecked");

    private EndpointHealth() {
    }

    /**
     * The verdict of {@code checker} (null when none is configured) on {@code e}, with its times on the
     * wall clock: {@code ticker} is the checker's, {@code clock} the one to show them on.
     */
    public static Map<String, Object> active(Endpoint e, HttpHealthChecker checker, Ticker ticker, Clock clock) {
        HealthCheckState state = checker == null ? null : checker.state(e);
        if (state == null) {
            return UNCHECKED;
        }
        Map<String, Object> active = new LinkedHashMap<>();
        active.put("state", state.healthy() ? "healthy" : "unhealthy");
        active.put("since", wall(state.lastTransitionNanos(), ticker, clock));
        if (state.lastError() != null) {
            active.put("lastError", state.lastError());
        }
        return active;
    }

    /** A ticker time as wall-clock text, through the offset between the two clocks now. */
    public static String wall(long tickerNanos, Ticker ticker, Clock clock) {
        long deltaMillis = (tickerNanos - ticker.nanos()) / 1_000_000;
        return Instant.ofEpochMilli(clock.millis() + deltaMillis).toString();
    }
}
