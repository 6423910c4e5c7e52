package io.outpost.config;

import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/** Session affinity through a cookie that names the chosen endpoint or child service, as in Traefik. */
public record StickyConfig(Cookie cookie) {

    public StickyConfig {
        Objects.requireNonNull(cookie, "cookie");
    }

    /** The affinity cookie. The name defaults to {@code outpost_<service>}; an empty maxAge means a session cookie. */
    public record Cookie(String name, boolean secure, boolean httpOnly, SameSite sameSite, Optional<Duration> maxAge) {
        public Cookie {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(sameSite, "sameSite");
            Objects.requireNonNull(maxAge, "maxAge");
        }
    }

    /** The cookie's SameSite attribute; UNSET leaves it out. */
    public enum SameSite {
        UNSET(""), NONE("none"), LAX("lax"), STRICT("strict");

        private final String keyword;

        SameSite(String keyword) {
            this.keyword = keyword;
        }

        public static Optional<SameSite> fromKeyword(String keyword) {
            return Arrays.stream(values()).filter(s -> s.keyword.equalsIgnoreCase(keyword)).findFirst();
        }

        @Override
        public String toString() {
            return keyword;
        }
    }
}
