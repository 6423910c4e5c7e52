package io.outpost.router;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RuleParserTest {

    private static final Matcher A = new Matcher.Host(List.of("a"));
    private static final Matcher B = new Matcher.Host(List.of("b"));
    private static final Matcher C = new Matcher.Host(List.of("c"));

    @Test
    void parsesEveryMatcher() {
        assertThat(RuleParser.parse("Host(`Shop.Example`, `b.example`)"))
                .isEqualTo(new Matcher.Host(List.of("shop.example", "b.example")));
        assertThat(RuleParser.parse("HostRegexp(`^[a-z]+\\.example$`)"))
                .isEqualTo(new Matcher.HostRegexp(Pattern.compile("^[a-z]+\\.example$")));
        assertThat(RuleParser.parse("Path(`/a`, `/b`)")).isEqualTo(new Matcher.Path(List.of("/a", "/b")));
        assertThat(RuleParser.parse("PathPrefix(`/pos`)")).isEqualTo(new Matcher.PathPrefix(List.of("/pos")));
        assertThat(RuleParser.parse("PathRegexp(`/v[0-9]+/.*`)"))
                .isEqualTo(new Matcher.PathRegexp(Pattern.compile("/v[0-9]+/.*")));
        assertThat(RuleParser.parse("Method(`get`, `POST`)")).isEqualTo(new Matcher.Method(List.of("GET", "POST")));
        assertThat(RuleParser.parse("Header(`X-Canary`, `1`)")).isEqualTo(new Matcher.Header("X-Canary", "1"));
        assertThat(RuleParser.parse("HeaderRegexp(`X-Canary`, `^on`)"))
                .isEqualTo(new Matcher.HeaderRegexp("X-Canary", Pattern.compile("^on")));
        assertThat(RuleParser.parse("Query(`debug`)")).isEqualTo(new Matcher.Query("debug", null));
        assertThat(RuleParser.parse("Query(`mode`, `fast`)")).isEqualTo(new Matcher.Query("mode", "fast"));
        assertThat(RuleParser.parse("QueryRegexp(`id`, `^[0-9]+$`)"))
                .isEqualTo(new Matcher.QueryRegexp("id", Pattern.compile("^[0-9]+$")));
        assertThat(RuleParser.parse("ClientIP(`10.0.0.0/8`, `::1`)"))
                .isEqualTo(new Matcher.ClientIp(List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("::1"))));
    }

    @Test
    void regexpsAreCompiledOnceWithTheRightFlags() {
        Matcher.HostRegexp host = (Matcher.HostRegexp) RuleParser.parse("HostRegexp(`a`)");
        Matcher.PathRegexp path = (Matcher.PathRegexp) RuleParser.parse("PathRegexp(`/a`)");
        assertThat(host.regexp().flags()).isEqualTo(Pattern.CASE_INSENSITIVE);
        assertThat(path.regexp().flags()).isZero();
    }

    @Test
    void notBindsTighterThanAndWhichBindsTighterThanOr() {
        assertThat(RuleParser.parse("Host(`a`) || Host(`b`) && Host(`c`)"))
                .isEqualTo(new Rule.Or(List.of(A, new Rule.And(List.of(B, C)))));
        assertThat(RuleParser.parse("Host(`a`) && Host(`b`) || Host(`c`)"))
                .isEqualTo(new Rule.Or(List.of(new Rule.And(List.of(A, B)), C)));
        assertThat(RuleParser.parse("!Host(`a`) && Host(`b`)"))
                .isEqualTo(new Rule.And(List.of(new Rule.Not(A), B)));
        assertThat(RuleParser.parse("!Host(`a`) || Host(`b`)"))
                .isEqualTo(new Rule.Or(List.of(new Rule.Not(A), B)));
    }

    @Test
    void parenthesesGroup() {
        assertThat(RuleParser.parse("(Host(`a`) || Host(`b`)) && Host(`c`)"))
                .isEqualTo(new Rule.And(List.of(new Rule.Or(List.of(A, B)), C)));
        assertThat(RuleParser.parse("!(Host(`a`) && Host(`b`))"))
                .isEqualTo(new Rule.Not(new Rule.And(List.of(A, B))));
        assertThat(RuleParser.parse("((Host(`a`)))")).isEqualTo(A);
        assertThat(RuleParser.parse("!!Host(`a`)")).isEqualTo(new Rule.Not(new Rule.Not(A)));
    }

    @Test
    void chainsFlattenIntoOneOperator() {
        assertThat(RuleParser.parse("Host(`a`) && Host(`b`) && Host(`c`)"))
                .isEqualTo(new Rule.And(List.of(A, B, C)));
        assertThat(RuleParser.parse("Host(`a`) || (Host(`b`) || Host(`c`))"))
                .isEqualTo(new Rule.Or(List.of(A, B, C)));
    }

    @Test
    void stringsInBackticksAreRawAndInDoubleQuotesTakeEscapes() {
        assertThat(RuleParser.parse("PathRegexp(`/a\\d+`)")).hasToString("PathRegexp(`/a\\d+`)");
        assertThat(RuleParser.parse("Header(\"X-A\", \"say \\\"hi\\\" \\\\ `now`\")"))
                .isEqualTo(new Matcher.Header("X-A", "say \"hi\" \\ `now`"));
        assertThat(RuleParser.parse("Header(\"X-A\", \"a\\tb\\nc\\rd\")"))
                .isEqualTo(new Matcher.Header("X-A", "a\tb\nc\rd"));
        assertThat(RuleParser.parse("Path(\"/a\", `/b`)")).isEqualTo(new Matcher.Path(List.of("/a", "/b")));
        assertThat(RuleParser.parse("Header(`X-A`, ``)")).isEqualTo(new Matcher.Header("X-A", ""));
    }

    @Test
    void whitespaceIsInsignificant() {
        assertThat(RuleParser.parse(" \tPathPrefix ( `/pos` )\n&&Method(`GET`,`POST`) "))
                .isEqualTo(RuleParser.parse("PathPrefix(`/pos`) && Method(`GET`, `POST`)"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "PathPrefix(`/pos`) && Method(`GET`, `POST`)",
        "Host(`shop.example`) || Header(`X-Canary`, `1`) && !ClientIP(`10.0.0.0/8`)",
        "(Host(`a`) || Host(`b`)) && !(Path(`/x`) || PathRegexp(`/y.*`))",
        "!!Query(`debug`) && Query(`a b`, `c`) && QueryRegexp(`id`, `^\\d+$`)",
        "Header(`X-A`, \"back`tick \\\"quoted\\\"\") || HeaderRegexp(`X-B`, `.`)",
        "ClientIP(`2001:db8::/32`, `192.168.1.7`, `::ffff:10.0.0.0/104`) || HostRegexp(`.*\\.example`)",
    })
    void toStringIsCanonicalRuleSyntaxThatParsesBack(String text) {
        Rule rule = RuleParser.parse(text);
        assertThat(RuleParser.parse(rule.toString())).isEqualTo(rule);
        assertThat(RuleParser.parse(rule.toString()).toString()).isEqualTo(rule.toString());
    }

    @Test
    void canonicalTextOfASampleRule() {
        assertThat(RuleParser.parse("Host(\"Shop.Example\")||(Header(`X-Canary`,`1`)&&!ClientIP(`10.1.2.3/8`))"))
                .hasToString("Host(`shop.example`) || Header(`X-Canary`, `1`) && !ClientIP(`10.0.0.0/8`)");
    }
}
