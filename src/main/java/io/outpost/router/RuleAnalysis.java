package io.outpost.router;

import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Works out what every request satisfying a rule must have: one of a set of literal hosts, and a
 * path starting with one of a set of literal prefixes. The route index files a rule under these;
 * a null result means "no such constraint" and sends the rule to the fallback list.
 *
 * <p>The results are necessary conditions, never sufficient ones: the index only narrows the
 * candidates, and the full rule still decides.
 */
final class RuleAnalysis {

    private static final String REGEX_META = "\\.[]{}()*+?^$|";
    private static final String QUANTIFIERS = "*+?{";

    private RuleAnalysis() {
    }

    /** Lower-case hosts one of which every matching request has, or null. Empty: nothing can match. */
    static Set<String> requiredHosts(Rule rule) {
        if (rule instanceof Matcher.Host host) {
            return new LinkedHashSet<>(host.hosts());
        }
        if (rule instanceof Rule.And and) {
            Set<String> result = null;
            for (Rule operand : and.operands()) {
                Set<String> hosts = requiredHosts(operand);
                if (hosts != null) {
                    if (result == null) {
                        result = hosts;
                    } else {
                        result.retainAll(hosts);
                    }
                }
            }
            return result;
        }
        if (rule instanceof Rule.Or or) {
            Set<String> result = new LinkedHashSet<>();
            for (Rule operand : or.operands()) {
                Set<String> hosts = requiredHosts(operand);
                if (hosts == null) {
                    return null;
                }
                result.addAll(hosts);
            }
            return result;
        }
        return null;
    }

    /** Literal prefixes one of which starts the path of every matching request, or null. */
    static Set<String> requiredPrefixes(Rule rule) {
        if (rule instanceof Matcher.Path path) {
            return new HashSet<>(path.paths());
        }
        if (rule instanceof Matcher.PathPrefix prefix) {
            return new HashSet<>(prefix.prefixes());
        }
        if (rule instanceof Matcher.PathRegexp regexp) {
            String literal = literalPrefix(regexp.regexp().pattern());
            return literal == null ? null : new HashSet<>(Set.of(literal));
        }
        if (rule instanceof Rule.And and) {
            Set<String> best = null;
            for (Rule operand : and.operands()) {
                Set<String> prefixes = requiredPrefixes(operand);
                if (prefixes != null && (best == null || shortest(prefixes) > shortest(best))) {
                    best = prefixes;
                }
            }
            return best;
        }
        if (rule instanceof Rule.Or or) {
            Set<String> result = new HashSet<>();
            for (Rule operand : or.operands()) {
                Set<String> prefixes = requiredPrefixes(operand);
                if (prefixes == null) {
                    return null;
                }
                result.addAll(prefixes);
            }
            return result;
        }
        return null;
    }

    /**
     * The literal text every value that {@code regex} finds a match in must start with, or null. Only
     * an expression anchored with {@code ^} has one (an unanchored one may match anywhere). Conservative:
     * any alternation gives up, and a literal character followed by a quantifier is not counted.
     */
    static String literalPrefix(String regex) {
        if (!regex.startsWith("^") || regex.indexOf('|') >= 0) {
            return null;
        }
        StringBuilder literal = new StringBuilder();
        for (int i = 1; i < regex.length(); i++) {
            char c = regex.charAt(i);
            if (REGEX_META.indexOf(c) >= 0) {
                if (QUANTIFIERS.indexOf(c) >= 0 && !literal.isEmpty()) {
                    literal.setLength(literal.length() - 1);
                }
                break;
            }
            literal.append(c);
        }
        return literal.isEmpty() ? null : literal.toString();
    }

    private static int shortest(Set<String> values) {
        int shortest = Integer.MAX_VALUE;
        for (String value : values) {
            shortest = Math.min(shortest, value.length());
        }
        return shortest;
    }
}
