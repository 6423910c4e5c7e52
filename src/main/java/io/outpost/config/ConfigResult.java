package io.outpost.config;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The outcome of loading a file: a valid snapshot, or every error found, in file order. Callers must
 * look at which one it is, so an invalid file cannot be used by accident.
 */
public sealed interface ConfigResult {

    /** A file that passed every check. */
    record Valid(OutpostConfig config) implements ConfigResult {}

    /** A file with at least one error; {@code errors} is never empty. */
    record Invalid(List<ConfigError> errors) implements ConfigResult {
        public Invalid {
            errors = List.copyOf(errors);
            if (errors.isEmpty()) {
                throw new IllegalArgumentException("errors: [] (expected: at least one)");
            }
        }
    }

    default boolean isValid() {
        return this instanceof Valid;
    }

    /** The errors, empty when valid. */
    default List<ConfigError> errors() {
        return this instanceof Invalid invalid ? invalid.errors() : List.of();
    }

    /** The configuration, or an {@link IllegalStateException} listing every error. */
    default OutpostConfig orElseThrow() {
        if (this instanceof Valid valid) {
            return valid.config();
        }
        throw new IllegalStateException("invalid configuration:\n"
                + errors().stream().map(ConfigError::toString).collect(Collectors.joining("\n")));
    }
}
