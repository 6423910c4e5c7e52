package io.outpost.config;

import java.util.ArrayList;
import java.util.List;

/** Collects the errors of one load, in the order binding finds them. */
final class Problems {

    private final List<ConfigError> errors = new ArrayList<>();

    void add(String path, String message) {
        errors.add(new ConfigError(path, message));
    }

    boolean any() {
        return !errors.isEmpty();
    }

    List<ConfigError> all() {
        return errors;
    }
}
