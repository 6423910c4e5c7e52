package io.outpost.router;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Properties of the rule language: a random rule written in any of its spellings (either quote
 * style, escapes, spacing, redundant parentheses) parses to the rule it was written from, and prints
 * as text that parses back to an equal rule; random and damaged text either parses (and round-trips)
 * or fails with a {@link RuleSyntaxException} pointing at a column of the text. Each case prints its
 * seed and its text.
 */
class RuleParserFuzzTest {

    private static final long SEED = 0x2B1E_0001L;
    /** Characters that matter to the lexer, and some that should not. */
    private static final String ALPHABET = "()!&|,`\"\\ \t\n'/.:*[]{}^$?+-_=;@#%~<>aHPQMCI0189"
            + "\u00e9\u2028\u0000\u007f\ud83d\ude00";

    @Test
    void randomRulesParseToWhatTheySayAndPrintAsTextThatParsesBack() {
        for (int i = 0; i < 2000; i++) {
            long seed = SEED + i;
            Writer writer = new Writer(new Random(seed));
            Rule expected = writer.rule(0);
            String text = writer.text.toString();
            String why = "seed " + seed + ": " + text;
            Rule parsed = parse(why, text);
            assertThat(parsed).as(why).isEqualTo(expected);
            roundTrips(why, parsed);
        }
    }

    @Test
    void damagedRulesParseOrFailAtAColumnOfTheirText() {
        for (int i = 0; i < 3000; i++) {
            long seed = SEED + 10_000 + i;
            Random random = new Random(seed);
            Writer writer = new Writer(random);
            writer.rule(0);
            StringBuilder text = writer.text;
            for (int n = 1 + random.nextInt(3); n > 0; n--) {
                damage(random, text);
            }
            check("seed " + seed + ": " + text, text.toString());
        }
    }

    @Test
    void randomTextParsesOrFailsAtAColumnOfIt() {
        for (int i = 0; i < 3000; i++) {
            long seed = SEED + 20_000 + i;
            Random random = new Random(seed);
            StringBuilder text = new StringBuilder();
            for (int n = random.nextInt(40); n > 0; n--) {
                text.append(random.nextInt(4) == 0 ? pick(random, RuleParser.MATCHERS)
                        : ALPHABET.charAt(random.nextInt(ALPHABET.length())));
            }
            check("seed " + seed + ": " + text, text.toString());
        }
    }

    private static void check(String why, String text) {
        Rule parsed;
        try {
            parsed = RuleParser.parse(text);
        } catch (RuleSyntaxException e) {
            assertThat(e.column()).as(why + " -> " + e.getMessage()).isBetween(1, text.length() + 1);
            return;
        } catch (RuntimeException | StackOverflowError e) {
            throw new AssertionError(why + ": not a rule syntax error", e);
        }
        roundTrips(why, parsed);
    }

    private static Rule parse(String why, String text) {
        try {
            return RuleParser.parse(text);
        } catch (RuntimeException e) {
            throw new AssertionError(why, e);
        }
    }

    private static void roundTrips(String why, Rule rule) {
        String printed = rule.toString();
        Rule again = parse(why + " printed as " + printed, printed);
        assertThat(again).as(why + " printed as " + printed).isEqualTo(rule);
        assertThat(again.toString()).as(why).isEqualTo(printed);
    }

    private static void damage(Random random, StringBuilder text) {
        int at = text.length() == 0 ? 0 : random.nextInt(text.length() + 1);
        switch (random.nextInt(5)) {
            case 0 -> {
                if (at < text.length()) {
                    text.deleteCharAt(at);
                }
            }
            case 1 -> text.insert(at, ALPHABET.charAt(random.nextInt(ALPHABET.length())));
            case 2 -> text.setLength(at);
            case 3 -> {
                int end = Math.min(text.length(), at + random.nextInt(12));
                text.insert(at, text.substring(at, end));
            }
            default -> {
                if (at < text.length()) {
                    text.setCharAt(at, ALPHABET.charAt(random.nextInt(ALPHABET.length())));
                }
            }
        }
    }

    private static <T> T pick(Random random, List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    /** Writes a random rule in one of its many spellings, and builds the rule it means. */
    private static final class Writer {
        private final Random random;
        final StringBuilder text = new StringBuilder();

        Writer(Random random) {
            this.random = random;
        }

        Rule rule(int depth) {
            int kind = depth > 4 ? 0 : random.nextInt(depth == 0 ? 4 : 6);
            return switch (kind) {
                case 1 -> joined(depth, " && ", true);
                case 2 -> joined(depth, " || ", false);
                case 3 -> {
                    text.append('!').append(space());
                    // '!' binds tighter than both operators: an operator under it needs parentheses.
                    boolean group = random.nextBoolean();
                    yield new Rule.Not(group ? group(depth) : unary(depth));
                }
                default -> matcher();
            };
        }

        private Rule joined(int depth, String operator, boolean and) {
            List<Rule> operands = new ArrayList<>();
            for (int n = 2 + random.nextInt(2); n > 0; n--) {
                if (!operands.isEmpty()) {
                    text.append(space()).append(operator.trim()).append(space());
                }
                // Under &&, a || needs parentheses; anything else may have them or not.
                operands.add(random.nextBoolean() ? group(depth) : and ? unary(depth) : andOrUnary(depth));
            }
            return and ? Rule.and(operands) : Rule.or(operands);
        }

        private Rule group(int depth) {
            text.append('(').append(space());
            Rule inner = rule(depth + 1);
            text.append(space()).append(')');
            return inner;
        }

        private Rule unary(int depth) {
            return random.nextInt(3) == 0 && depth < 4 ? notOf(depth) : matcher();
        }

        private Rule andOrUnary(int depth) {
            return random.nextBoolean() && depth < 4 ? joined(depth + 1, " && ", true) : unary(depth);
        }

        private Rule notOf(int depth) {
            text.append('!');
            return new Rule.Not(random.nextBoolean() ? group(depth + 1) : unary(depth + 1));
        }

        private Rule matcher() {
            String name = pick(random, RuleParser.MATCHERS);
            text.append(name).append(space()).append('(').append(space());
            List<String> args = new ArrayList<>();
            Rule rule = switch (name) {
                case "Host" -> new Matcher.Host(some(args, this::host));
                case "HostRegexp" -> new Matcher.HostRegexp(Pattern.compile(arg(args, regexp()), Pattern.CASE_INSENSITIVE));
                case "Path" -> new Matcher.Path(some(args, this::path));
                case "PathPrefix" -> new Matcher.PathPrefix(some(args, this::path));
                case "PathRegexp" -> new Matcher.PathRegexp(Pattern.compile(arg(args, regexp())));
                case "Method" -> new Matcher.Method(some(args, () -> token(1 + random.nextInt(8))));
                case "Header" -> new Matcher.Header(arg(args, token(1 + random.nextInt(10))), arg(args, anything()));
                case "HeaderRegexp" -> new Matcher.HeaderRegexp(arg(args, token(1 + random.nextInt(10))),
                        Pattern.compile(arg(args, regexp())));
                case "Query" -> new Matcher.Query(arg(args, nonEmpty()),
                        random.nextBoolean() ? arg(args, anything()) : null);
                case "QueryRegexp" -> new Matcher.QueryRegexp(arg(args, nonEmpty()), Pattern.compile(arg(args, regexp())));
                default -> new Matcher.ClientIp(some(args, this::cidr).stream().map(Cidr::parse).toList());
            };
            for (int i = 0; i < args.size(); i++) {
                text.append(i > 0 ? space() + "," + space() : "").append(quoted(args.get(i)));
            }
            text.append(space()).append(')');
            return rule;
        }

        private List<String> some(List<String> args, java.util.function.Supplier<String> value) {
            List<String> values = new ArrayList<>();
            for (int n = 1 + random.nextInt(3); n > 0; n--) {
                values.add(arg(args, value.get()));
            }
            return values;
        }

        private static String arg(List<String> args, String value) {
            args.add(value);
            return value;
        }

        /** A value in backticks when it has none, else (or at random) in double quotes with escapes. */
        private String quoted(String value) {
            if (value.indexOf('`') < 0 && random.nextBoolean()) {
                return '`' + value + '`';
            }
            StringBuilder out = new StringBuilder("\"");
            for (char c : value.toCharArray()) {
                switch (c) {
                    case '"', '\\' -> out.append('\\').append(c);
                    case '\n' -> out.append(random.nextBoolean() ? "\\n" : "\n");
                    case '\t' -> out.append(random.nextBoolean() ? "\\t" : "\t");
                    case '\r' -> out.append("\\r");
                    default -> out.append(c);
                }
            }
            return out.append('"').toString();
        }

        private String space() {
            return switch (random.nextInt(8)) {
                case 0 -> " ";
                case 1 -> "\n\t ";
                case 2 -> "\u2003"; // an em space is whitespace to the lexer too
                default -> "";
            };
        }

        private String host() {
            String h = token(1 + random.nextInt(12)).replace('`', 'b');
            return random.nextBoolean() ? h.toLowerCase(java.util.Locale.ROOT) + ".example" : h + "\u00e9";
        }

        private String path() {
            return "/" + anything();
        }

        private String nonEmpty() {
            String s = anything();
            return s.isEmpty() ? "k" : s;
        }

        /** Any text: quotes of both kinds, backslashes, line ends, non-ASCII. */
        private String anything() {
            String chars = "ab/`\"\\\n\t\r ,()!&|\u00e9\ud83d\ude00";
            StringBuilder out = new StringBuilder();
            for (int n = random.nextInt(12); n > 0; n--) {
                out.append(chars.charAt(random.nextInt(chars.length())));
            }
            return out.toString();
        }

        private String regexp() {
            return switch (random.nextInt(5)) {
                case 0 -> "^/v[0-9]+/";
                case 1 -> "\\.png$";
                case 2 -> "a|`b`|\"c\"";
                case 3 -> Pattern.quote(anything());
                default -> "(?i)x\\\\y\\n";
            };
        }

        private String token(int length) {
            String chars = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < length; i++) {
                out.append(chars.charAt(random.nextInt(chars.length())));
            }
            return out.toString();
        }

        private String cidr() {
            int bits;
            String address;
            switch (random.nextInt(4)) {
                case 0 -> {
                    address = random.nextInt(256) + "." + random.nextInt(256) + "." + random.nextInt(256) + "."
                            + random.nextInt(256);
                    bits = random.nextInt(33);
                }
                case 1 -> {
                    address = "::ffff:" + random.nextInt(256) + "." + random.nextInt(256) + ".0." + random.nextInt(256);
                    bits = random.nextInt(129);
                }
                case 2 -> {
                    address = Integer.toHexString(random.nextInt(0x10000)) + "::"
                            + Integer.toHexString(random.nextInt(0x10000));
                    bits = random.nextInt(129);
                }
                default -> {
                    StringBuilder groups = new StringBuilder();
                    for (int g = 0; g < 8; g++) {
                        groups.append(g > 0 ? ":" : "")
                                .append(random.nextInt(3) == 0 ? "0" : Integer.toHexString(random.nextInt(0x10000)));
                    }
                    address = groups.toString();
                    bits = random.nextInt(129);
                }
            }
            return random.nextInt(3) == 0 ? address : address + "/" + bits;
        }
    }
}
