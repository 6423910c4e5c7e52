package io.outpost.config;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The outcome of loading a file: a valid snapshot, or every error found, in file order. Callers must
 * look at which one it is, so an invalid file cannot be used by accident.
 */
public sealed interface ConfigResult {

    /** A file that passed every check; {@code warnings} point out settings that have no effect. */
    record Valid(OutpostConfig config, List<ConfigError> warnings) implements ConfigResult {
        public Valid {
            Objects.requireNonNull(config, "config");
            warnings = List.copyOf(warnings);
        }
    }

    /** A file with at least one error; {@code errors} is never empty. */
    record Invalid(List<ConfigError> errors, List<ConfigError> warnings) implements ConfigResult {
        public Invalid {
            errors = List.copyOf(errors);
            warnings = List.copyOf(warnings);
            if (errors.isEmpty()) {
                throw new IllegalArgumentException("errors: [] (expected: at least one)");
            }
        }
    }

    /** Settings that are accepted but have no effect, such as {@code hashOn} with a policy that does not hash. */
    List<ConfigError> warnings();

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
