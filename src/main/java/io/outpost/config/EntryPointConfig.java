package io.outpost.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A port the gateway listens on. Timeouts follow Traefik's responding timeouts: {@code readTimeout}
 * bounds reading a whole request, from its first byte (0 = none), {@code idleTimeout} closes idle keep-alive connections,
 * and {@code graceTimeout} is how long shutdown waits for requests in flight. With {@code tls} the entry
 * point terminates TLS. {@code forwardedHeaders} says whose forwarding headers are kept.
 */
public record EntryPointConfig(HostPort address, Duration readTimeout, Duration idleTimeout, Duration graceTimeout,
                               Optional<TlsConfig.EntryPoint> tls, ForwardedHeaders forwardedHeaders) {

    /**
     * Traefik's {@code forwardedHeaders}: the {@code X-Forwarded-*}, {@code X-Real-Ip} and
     * {@code Forwarded} headers of a client in {@code trustedIPs} (or of any client with
     * {@code insecure}) are kept; everyone else's are removed, and the gateway's own
     * {@code X-Forwarded-*} values replace them. The default trusts nobody.
     */
    public record ForwardedHeaders(List<Cidr> trustedIPs, boolean insecure) {
        public static final ForwardedHeaders NONE = new ForwardedHeaders(List.of(), false);

        public ForwardedHeaders {
            trustedIPs = List.copyOf(trustedIPs);
        }
    }

    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(60);
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(180);
    public static final Duration DEFAULT_GRACE_TIMEOUT = Duration.ofSeconds(10);

    public EntryPointConfig {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(readTimeout, "readTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(graceTimeout, "graceTimeout");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(forwardedHeaders, "forwardedHeaders");
    }

    public EntryPointConfig(HostPort address, Duration readTimeout, Duration idleTimeout, Duration graceTimeout,
                            Optional<TlsConfig.EntryPoint> tls) {
        this(address, readTimeout, idleTimeout, graceTimeout, tls, ForwardedHeaders.NONE);
    }

    /** A plain-text entry point. */
    public EntryPointConfig(HostPort address, Duration readTimeout, Duration idleTimeout, Duration graceTimeout) {
        this(address, readTimeout, idleTimeout, graceTimeout, Optional.empty());
    }

    public static EntryPointConfig of(HostPort address) {
        return new EntryPointConfig(address, DEFAULT_READ_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_GRACE_TIMEOUT);
    }
}
