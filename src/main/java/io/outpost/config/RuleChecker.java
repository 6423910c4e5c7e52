package io.outpost.config;

import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Checks a router's rule syntax during validation. The rule language lives in the router package;
 * this seam keeps configuration loading independent of it.
 *
 * <pre>{@code
 * RuleChecker checker = rule -> parser.tryParse(rule).error();
 * new ConfigLoader(checker).load(path);
 * }</pre>
 */
@FunctionalInterface
public interface RuleChecker {

    /** Accepts every rule; for tools and tests that do not care about rule syntax. */
    RuleChecker ACCEPT_ALL = rule -> Optional.empty();

    /** Empty when {@code rule} is valid, else a message saying what is wrong with it. */
    Optional<String> check(String rule);

    /**
     * The checker registered with {@link ServiceLoader} (the rule parser registers one in
     * {@code META-INF/services/io.outpost.config.RuleChecker}), else {@link #ACCEPT_ALL}.
     */
    static RuleChecker installed() {
        return ServiceLoader.load(RuleChecker.class).findFirst().orElse(ACCEPT_ALL);
    }
}
