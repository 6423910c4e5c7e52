package io.outpost.config;

import java.util.Objects;

/**
 * One problem in a configuration file, at a key path such as {@code http.routers.api.service}.
 * {@code toString()} is the line shown to people: {@code path: message}.
 */
public record ConfigError(String path, String message) {

    public ConfigError {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(message, "message");
    }

    @Override
    public String toString() {
        return path.isEmpty() ? message : path + ": " + message;
    }
}
