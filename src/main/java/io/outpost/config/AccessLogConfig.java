package io.outpost.config;

import java.util.Objects;

/** One line per request: JSON for machines (default) or Common Log Format for people and old tools. */
public record AccessLogConfig(boolean enabled, Format format, String path) {

    public static final String STDOUT = "stdout";
    /** What an {@code accessLog} section without keys means: JSON lines on standard output. */
    public static final AccessLogConfig DEFAULT = new AccessLogConfig(true, Format.JSON, STDOUT);
    /** No {@code accessLog} section at all: no access log, as in Traefik and Envoy. */
    public static final AccessLogConfig OFF = new AccessLogConfig(false, Format.JSON, STDOUT);

    public AccessLogConfig {
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(path, "path");
    }

    /** True when lines go to standard output rather than a file. */
    public boolean toStdout() {
        return path.equals(STDOUT);
    }

    /** Line format. */
    public enum Format {
        JSON("json"), COMMON("common");

        private final String keyword;

        Format(String keyword) {
            this.keyword = keyword;
        }

        @Override
        public String toString() {
            return keyword;
        }
    }
}
