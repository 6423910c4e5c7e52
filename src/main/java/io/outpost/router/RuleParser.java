package io.outpost.router;

import io.outpost.router.Token.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Parses the Traefik-style rule language into a {@link Rule}. Precedence is {@code !} over
 * {@code &&} over {@code ||}; parentheses group.
 *
 * <pre>{@code
 * Rule rule = RuleParser.parse("Host(`shop.example`) || (Header(`X-Canary`, `1`) && !ClientIP(`10.0.0.0/8`))");
 * }</pre>
 *
 * <p>Grammar: {@code or := and ('||' and)*; and := unary ('&&' unary)*; unary := '!' unary | primary;
 * primary := '(' or ')' | NAME '(' [STRING (',' STRING)*] ')'}.
 */
public final class RuleParser {

    /** The names of all matchers, in the order error messages list them. */
    public static final List<String> MATCHERS = List.of("Host", "HostRegexp", "Path", "PathPrefix", "PathRegexp",
            "Method", "Header", "HeaderRegexp", "Query", "QueryRegexp", "ClientIP");

    /** Deeper nesting than this is rejected rather than risking the stack. */
    static final int MAX_DEPTH = 64;

    private final RuleLexer lexer;
    private int depth;

    private RuleParser(String text) {
        this.lexer = new RuleLexer(text);
    }

    /**
     * Parses rule text.
     *
     * @throws RuleSyntaxException pointing at the column where the text stops making sense
     */
    public static Rule parse(String rule) {
        if (rule == null) {
            throw new IllegalArgumentException("rule: null (expected: rule text such as PathPrefix(`/api`))");
        }
        RuleParser parser = new RuleParser(rule);
        Rule parsed = parser.or();
        Token end = parser.lexer.next();
        if (end.kind() != Kind.END) {
            throw new RuleSyntaxException(end.column(), "expected '&&', '||' or end of rule but found "
                    + end.describe());
        }
        return parsed;
    }

    private Rule or() {
        List<Rule> operands = new ArrayList<>(2);
        operands.add(and());
        while (lexer.peek().kind() == Kind.OR) {
            lexer.next();
            operands.add(and());
        }
        return Rule.or(operands);
    }

    private Rule and() {
        List<Rule> operands = new ArrayList<>(2);
        operands.add(unary());
        while (lexer.peek().kind() == Kind.AND) {
            lexer.next();
            operands.add(unary());
        }
        return Rule.and(operands);
    }

    private Rule unary() {
        Token token = lexer.next();
        if (++depth > MAX_DEPTH) {
            throw new RuleSyntaxException(token.column(), "rule nested too deeply (expected at most "
                    + MAX_DEPTH + " levels of '!' and '(')");
        }
        try {
            return switch (token.kind()) {
                case NOT -> new Rule.Not(unary());
                case OPEN -> group(token);
                case NAME -> matcher(token);
                default -> throw new RuleSyntaxException(token.column(), "expected a matcher, '!' or '(' but found "
                        + token.describe());
            };
        } finally {
            depth--;
        }
    }

    private Rule group(Token open) {
        Rule inner = or();
        Token close = lexer.next();
        if (close.kind() != Kind.CLOSE) {
            throw new RuleSyntaxException(close.column(), "expected '&&', '||' or ')' but found "
                    + close.describe() + " (the '(' at column " + open.column() + " is not closed)");
        }
        return inner;
    }

    private Rule matcher(Token name) {
        String matcher = name.text();
        if (!MATCHERS.contains(matcher)) {
            String hint = MATCHERS.stream().filter(known -> known.equalsIgnoreCase(matcher)).findFirst()
                    .map(known -> "matcher names are case-sensitive; did you mean '" + known + "'?")
                    .orElse("expected one of " + String.join(", ", MATCHERS));
            throw new RuleSyntaxException(name.column(), "unknown matcher '" + matcher + "' (" + hint + ")");
        }
        Token open = lexer.next();
        if (open.kind() != Kind.OPEN) {
            throw new RuleSyntaxException(open.column(), "expected '(' after '" + matcher + "' but found "
                    + open.describe());
        }
        List<Token> args = arguments();
        return switch (matcher) {
            case "Host" -> new Matcher.Host(each(name, args, 1, "host", Args::host));
            case "HostRegexp" -> new Matcher.HostRegexp(regexp(exactly(name, args, "regexp").get(0),
                    Pattern.CASE_INSENSITIVE));
            case "Path" -> new Matcher.Path(each(name, args, 1, "path", Args::path));
            case "PathPrefix" -> new Matcher.PathPrefix(each(name, args, 1, "prefix", Args::path));
            case "PathRegexp" -> new Matcher.PathRegexp(regexp(exactly(name, args, "regexp").get(0), 0));
            case "Method" -> new Matcher.Method(each(name, args, 1, "method", Args::method));
            case "Header" -> {
                List<Token> pair = exactly(name, args, "name", "value");
                yield new Matcher.Header(check(pair.get(0), Args::headerName), pair.get(1).text());
            }
            case "HeaderRegexp" -> {
                List<Token> pair = exactly(name, args, "name", "regexp");
                yield new Matcher.HeaderRegexp(check(pair.get(0), Args::headerName), regexp(pair.get(1), 0));
            }
            case "Query" -> {
                if (args.isEmpty() || args.size() > 2) {
                    throw arity(name, "1 or 2 arguments (key[, value])", args.size());
                }
                yield new Matcher.Query(check(args.get(0), Args::queryKey),
                        args.size() == 2 ? args.get(1).text() : null);
            }
            case "QueryRegexp" -> {
                List<Token> pair = exactly(name, args, "key", "regexp");
                yield new Matcher.QueryRegexp(check(pair.get(0), Args::queryKey), regexp(pair.get(1), 0));
            }
            case "ClientIP" -> new Matcher.ClientIp(each(name, args, 1, "ip or CIDR", Cidr::parse));
            default -> throw new IllegalStateException("matcher without a parser: " + matcher);
        };
    }

    /** Reads {@code [STRING (',' STRING)*] ')'} after the opening parenthesis. */
    private List<Token> arguments() {
        List<Token> args = new ArrayList<>(2);
        if (lexer.peek().kind() == Kind.CLOSE) {
            lexer.next();
            return args;
        }
        while (true) {
            Token value = lexer.next();
            if (value.kind() != Kind.STRING) {
                throw new RuleSyntaxException(value.column(), "expected a string in backticks or double quotes"
                        + " but found " + value.describe());
            }
            args.add(value);
            Token separator = lexer.next();
            if (separator.kind() == Kind.CLOSE) {
                return args;
            }
            if (separator.kind() != Kind.COMMA) {
                throw new RuleSyntaxException(separator.column(), "expected ',' or ')' but found "
                        + separator.describe());
            }
        }
    }

    private static <T> List<T> each(Token name, List<Token> args, int min, String what, Function<String, T> check) {
        if (args.size() < min) {
            throw arity(name, "1 or more arguments (" + what + ", ...)", args.size());
        }
        List<T> values = new ArrayList<>(args.size());
        for (Token arg : args) {
            values.add(check(arg, check));
        }
        return values;
    }

    private static List<Token> exactly(Token name, List<Token> args, String... parameters) {
        if (args.size() != parameters.length) {
            String count = parameters.length == 1 ? "1 argument" : parameters.length + " arguments";
            throw arity(name, count + " (" + String.join(", ", parameters) + ")", args.size());
        }
        return args;
    }

    private static RuleSyntaxException arity(Token name, String expected, int actual) {
        return new RuleSyntaxException(name.column(), name.text() + " takes " + expected + " but got " + actual);
    }

    private static <T> T check(Token arg, Function<String, T> check) {
        try {
            return check.apply(arg.text());
        } catch (IllegalArgumentException e) {
            throw new RuleSyntaxException(arg.column(), e.getMessage(), e);
        }
    }

    private static Pattern regexp(Token arg, int flags) {
        return check(arg, source -> Args.regexp(source, flags));
    }
}
