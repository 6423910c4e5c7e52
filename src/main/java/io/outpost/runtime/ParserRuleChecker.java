package io.outpost.runtime;

import io.outpost.config.RuleChecker;
import io.outpost.router.RuleParser;
import io.outpost.router.RuleSyntaxException;
import java.util.Optional;

/**
 * Connects configuration validation to the rule parser, so that a bad rule is a configuration
 * error with its column. Registered for {@link RuleChecker#installed()} through ServiceLoader.
 */
public final class ParserRuleChecker implements RuleChecker {

    @Override
    public Optional<String> check(String rule) {
        try {
            RuleParser.parse(rule);
            return Optional.empty();
        } catch (RuleSyntaxException e) {
            return Optional.of(e.getMessage());
        }
    }
}
