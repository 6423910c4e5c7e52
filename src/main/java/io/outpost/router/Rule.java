package io.outpost.router;

import java.util.ArrayList;
import java.util.List;

/**
 * A parsed routing rule: an immutable tree of {@link Matcher}s joined by {@code &&}, {@code ||}
 * and {@code !}. Rules are parsed once when configuration is compiled and then evaluated on every
 * request, so evaluation never allocates beyond what a regular expression needs.
 *
 * <pre>{@code
 * Rule rule = RuleParser.parse("PathPrefix(`/pos`) && Method(`GET`, `POST`)");
 * boolean hit = rule.matches(request);
 * }</pre>
 *
 * <p>{@link #toString()} renders the rule in canonical rule syntax, which parses back to an equal
 * rule.
 */
public sealed interface Rule permits Rule.And, Rule.Or, Rule.Not, Matcher {

    /** True when the request satisfies this rule. */
    boolean matches(RequestView request);

    /** Joins rules with {@code &&}, flattening nested conjunctions. */
    static Rule and(List<? extends Rule> operands) {
        return operands.size() == 1 ? operands.get(0) : new And(flatten(operands, And.class));
    }

    /** Joins rules with {@code ||}, flattening nested disjunctions. */
    static Rule or(List<? extends Rule> operands) {
        return operands.size() == 1 ? operands.get(0) : new Or(flatten(operands, Or.class));
    }

    private static List<Rule> flatten(List<? extends Rule> operands, Class<? extends Rule> kind) {
        List<Rule> flat = new ArrayList<>(operands.size());
        for (Rule operand : operands) {
            if (operand instanceof And and && kind == And.class) {
                flat.addAll(and.operands());
            } else if (operand instanceof Or or && kind == Or.class) {
                flat.addAll(or.operands());
            } else {
                flat.add(operand);
            }
        }
        return flat;
    }

    /** All operands must match; evaluation stops at the first that does not. */
    record And(List<Rule> operands) implements Rule {
        public And {
            operands = List.copyOf(operands);
            if (operands.size() < 2) {
                throw new IllegalArgumentException("operands: " + operands.size() + " (expected: >= 2)");
            }
        }

        @Override
        public boolean matches(RequestView request) {
            for (int i = 0, n = operands.size(); i < n; i++) {
                if (!operands.get(i).matches(request)) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public String toString() {
            StringBuilder out = new StringBuilder();
            for (Rule operand : operands) {
                if (!out.isEmpty()) {
                    out.append(" && ");
                }
                out.append(operand instanceof Or ? "(" + operand + ")" : operand.toString());
            }
            return out.toString();
        }
    }

    /** Any operand may match; evaluation stops at the first that does. */
    record Or(List<Rule> operands) implements Rule {
        public Or {
            operands = List.copyOf(operands);
            if (operands.size() < 2) {
                throw new IllegalArgumentException("operands: " + operands.size() + " (expected: >= 2)");
            }
        }

        @Override
        public boolean matches(RequestView request) {
            for (int i = 0, n = operands.size(); i < n; i++) {
                if (operands.get(i).matches(request)) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public String toString() {
            StringBuilder out = new StringBuilder();
            for (Rule operand : operands) {
                if (!out.isEmpty()) {
                    out.append(" || ");
                }
                out.append(operand);
            }
            return out.toString();
        }
    }

    /** Inverts its operand. */
    record Not(Rule operand) implements Rule {
        public Not {
            if (operand == null) {
                throw new IllegalArgumentException("operand: null (expected: a rule)");
            }
        }

        @Override
        public boolean matches(RequestView request) {
            return !operand.matches(request);
        }

        @Override
        public String toString() {
            return operand instanceof Matcher || operand instanceof Not ? "!" + operand : "!(" + operand + ")";
        }
    }
}
