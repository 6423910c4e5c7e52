package io.outpost.router;

/**
 * A named rule with its priority and what it leads to (a service, a middleware chain, ...).
 * When no priority is configured it is the length of the rule text, as in Traefik: the longer,
 * more specific rule wins.
 *
 * @param <T> what the route leads to
 */
public record Route<T>(String name, Rule rule, int priority, T target) {

    public Route {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("name: " + (name == null ? "null" : "empty") + " (expected: a route name)");
        }
        if (rule == null) {
            throw new IllegalArgumentException("route " + name + ": rule null (expected: a rule)");
        }
        if (target == null) {
            throw new IllegalArgumentException("route " + name + ": target null (expected: a target)");
        }
    }

    /**
     * A route from rule text; a null {@code priority} means the length of {@code ruleText}.
     *
     * @throws RuleSyntaxException when the rule does not parse
     */
    public static <T> Route<T> of(String name, String ruleText, Integer priority, T target) {
        Rule rule = RuleParser.parse(ruleText);
        return new Route<>(name, rule, priority != null ? priority : ruleText.length(), target);
    }

    /** A route from a parsed rule; a null {@code priority} means the length of the rule's canonical text. */
    public static <T> Route<T> of(String name, Rule rule, Integer priority, T target) {
        if (rule == null) {
            throw new IllegalArgumentException("route " + name + ": rule null (expected: a rule)");
        }
        return new Route<>(name, rule, priority != null ? priority : rule.toString().length(), target);
    }
}
