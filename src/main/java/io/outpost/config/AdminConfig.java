package io.outpost.config;

import java.util.Objects;
import java.util.Optional;

/** The admin server (API, metrics, dashboard). Loopback by default so that it is private unless opened on purpose. */
public record AdminConfig(HostPort address, Optional<Auth> auth) {

    public static final HostPort DEFAULT_ADDRESS = new HostPort("127.0.0.1", 8081);
    public static final AdminConfig DEFAULT = new AdminConfig(DEFAULT_ADDRESS, Optional.empty());

    public AdminConfig {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(auth, "auth");
    }

    /** A bearer token the admin API demands; never shown by the API itself. */
    public record Auth(@Secret String token) {
        public Auth {
            Objects.requireNonNull(token, "token");
        }

        @Override
        public String toString() {
            return "Auth[token=******]";
        }
    }
}
