package io.outpost.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RuleSyntaxErrorTest {

    static Stream<Arguments> errors() {
        return Stream.of(
                // structure
                Arguments.of("", 1, "expected a matcher, '!' or '(' but found end of rule"),
                Arguments.of("   ", 4, "expected a matcher, '!' or '(' but found end of rule"),
                Arguments.of("Host(`a`) &&", 13, "expected a matcher, '!' or '(' but found end of rule"),
                Arguments.of("Host(`a`) && || Path(`/`)", 14, "expected a matcher, '!' or '(' but found '||'"),
                Arguments.of("Host(`a`) Path(`/`)", 11, "expected '&&', '||' or end of rule but found 'Path'"),
                Arguments.of("Host(`a`))", 10, "expected '&&', '||' or end of rule but found ')'"),
                Arguments.of("(Host(`a`)", 11,
                        "expected '&&', '||' or ')' but found end of rule (the '(' at column 1 is not closed)"),
                Arguments.of("Host(`a`) & Path(`/`)", 11, "expected '&&' but found '&'"),
                Arguments.of("Host(`a`) | Path(`/`)", 11, "expected '||' but found '|'"),
                Arguments.of("Host(`a`) $", 11, "unexpected character '$'"),
                Arguments.of("`a`", 1, "expected a matcher, '!' or '(' but found string `a`"),
                // matcher calls
                Arguments.of("Hots(`a`)", 1, "unknown matcher 'Hots' (expected one of Host, HostRegexp, Path, "
                        + "PathPrefix, PathRegexp, Method, Header, HeaderRegexp, Query, QueryRegexp, ClientIP)"),
                Arguments.of("Path(`/`) && pathprefix(`/a`)", 14,
                        "unknown matcher 'pathprefix' (matcher names are case-sensitive; did you mean 'PathPrefix'?)"),
                Arguments.of("Host `a`", 6, "expected '(' after 'Host' but found string `a`"),
                Arguments.of("Method(`GET` `POST`)", 14, "expected ',' or ')' but found string `POST`"),
                Arguments.of("PathPrefix(`/pos`) && Method(`GET`", 35, "expected ',' or ')' but found end of rule"),
                Arguments.of("Method(`GET`,)", 14, "expected a string in backticks or double quotes but found ')'"),
                Arguments.of("Method(GET)", 8, "expected a string in backticks or double quotes but found 'GET'"),
                Arguments.of("Host('a')", 6,
                        "single quotes are not accepted (expected a string in backticks or double quotes)"),
                Arguments.of("Host(`a)", 6, "unterminated string: no closing '`' for the one here"),
                Arguments.of("Host(\"a)", 6, "unterminated string: no closing '\"' for the one here"),
                Arguments.of("Host(\"a\\d\")", 8,
                        "unknown escape '\\d' (expected one of \\\" \\\\ \\n \\r \\t; use backticks for regexps)"),
                // argument counts
                Arguments.of("Host()", 1, "Host takes 1 or more arguments (host, ...) but got 0"),
                Arguments.of("Path(`/`) || ClientIP()", 14, "ClientIP takes 1 or more arguments (ip or CIDR, ...) but got 0"),
                Arguments.of("HostRegexp(`a`, `b`)", 1, "HostRegexp takes 1 argument (regexp) but got 2"),
                Arguments.of("PathRegexp()", 1, "PathRegexp takes 1 argument (regexp) but got 0"),
                Arguments.of("Header(`X-A`)", 1, "Header takes 2 arguments (name, value) but got 1"),
                Arguments.of("HeaderRegexp(`X-A`)", 1, "HeaderRegexp takes 2 arguments (name, regexp) but got 1"),
                Arguments.of("Query()", 1, "Query takes 1 or 2 arguments (key[, value]) but got 0"),
                Arguments.of("Query(`a`, `b`, `c`)", 1, "Query takes 1 or 2 arguments (key[, value]) but got 3"),
                Arguments.of("QueryRegexp(`a`)", 1, "QueryRegexp takes 2 arguments (key, regexp) but got 1"),
                // argument values
                Arguments.of("Path(`/a`, `b`)", 12, "path 'b' does not start with '/'"),
                Arguments.of("PathPrefix(`pos`)", 12, "path 'pos' does not start with '/'"),
                Arguments.of("Host(``)", 6, "empty host (expected: a host name such as example.com)"),
                Arguments.of("Host(`http://a`)", 6,
                        "invalid host 'http://a' (expected: a host name without scheme, path or spaces, such as example.com)"),
                Arguments.of("Method(`GET`, `G T`)", 15, "invalid method 'G T' (expected: a token such as GET)"),
                Arguments.of("Header(``, `1`)", 8, "invalid header name '' (expected: a token such as X-Canary)"),
                Arguments.of("Query(``)", 7, "empty query key (expected: a parameter name)"),
                Arguments.of("PathRegexp(`/a(`)", 12, "invalid regexp '/a(': Unclosed group near index 3"),
                Arguments.of("HostRegexp(`[a`)", 12, "invalid regexp '[a': Unclosed character class near index 1"),
                Arguments.of("HeaderRegexp(`X-A`, `*`)", 21, "invalid regexp '*': Dangling meta character '*' near index 0"),
                Arguments.of("QueryRegexp(`k`, `a{2,1}`)", 18,
                        "invalid regexp 'a{2,1}': Illegal repetition range near index 5"),
                Arguments.of("ClientIP(`10.0.0.0/33`)", 10,
                        "invalid ClientIP '10.0.0.0/33' (expected: a prefix length 0-32 after '/')"),
                Arguments.of("ClientIP(`::/129`)", 10, "invalid ClientIP '::/129' (expected: a prefix length 0-128 after '/')"),
                Arguments.of("ClientIP(`10.0.0.1`, `localhost`)", 22, "invalid ClientIP 'localhost' (expected: an IPv4 or "
                        + "IPv6 address or CIDR such as 10.0.0.0/8 or 2001:db8::/32)"),
                Arguments.of("ClientIP(`256.0.0.0/8`)", 10, "invalid ClientIP '256.0.0.0/8' (expected: an IPv4 or "
                        + "IPv6 address or CIDR such as 10.0.0.0/8 or 2001:db8::/32)"));
    }

    @ParameterizedTest(name = "[{index}] {0} -> column {1}")
    @MethodSource("errors")
    void pointsAtTheColumnAndSaysWhatWasExpected(String rule, int column, String reason) {
        RuleSyntaxException error = catchThrowableOfType(() -> RuleParser.parse(rule), RuleSyntaxException.class);
        assertThat(error).as("parse of %s", rule).isNotNull();
        assertThat(error.reason()).isEqualTo(reason);
        assertThat(error.column()).isEqualTo(column);
        assertThat(error).hasMessage("column " + column + ": " + reason);
    }

    @Test
    void isAnIllegalArgumentException() {
        assertThatThrownBy(() -> RuleParser.parse("Hots(`a`)")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RuleParser.parse(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected: rule text");
    }

    @Test
    void deepNestingIsRejectedWithoutOverflowingTheStack() {
        String deep = "(".repeat(10_000) + "Host(`a`)" + ")".repeat(10_000);
        RuleSyntaxException error = catchThrowableOfType(() -> RuleParser.parse(deep), RuleSyntaxException.class);
        assertThat(error.column()).isEqualTo(RuleParser.MAX_DEPTH + 1);
        assertThat(error.reason()).startsWith("rule nested too deeply");
        String nots = "!".repeat(10_000) + "Host(`a`)";
        assertThatThrownBy(() -> RuleParser.parse(nots)).isInstanceOf(RuleSyntaxException.class);
        String fine = "(".repeat(RuleParser.MAX_DEPTH - 1) + "Host(`a`)" + ")".repeat(RuleParser.MAX_DEPTH - 1);
        assertThat(RuleParser.parse(fine)).isEqualTo(RuleParser.parse("Host(`a`)"));
    }
}
