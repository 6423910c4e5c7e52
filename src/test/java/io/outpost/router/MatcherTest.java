package io.outpost.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class MatcherTest {

    private static boolean matches(String rule, TestRequest request) {
        return RuleParser.parse(rule).matches(request);
    }

    @Test
    void hostIsCaseInsensitiveAndAnyOfSeveral() {
        TestRequest request = TestRequest.get("/").host("shop.example");
        assertThat(matches("Host(`SHOP.example`)", request)).isTrue();
        assertThat(matches("Host(`shop.example`)", request.host("Shop.Example"))).isTrue();
        assertThat(matches("Host(`other.example`, `shop.example`)", request)).isTrue();
        assertThat(matches("Host(`other.example`)", request)).isFalse();
        assertThat(matches("Host(`shop.example`)", request.host("shop.example.evil"))).isFalse();
        assertThat(matches("Host(`shop.example`)", request.host(""))).isFalse();
    }

    @Test
    void hostRegexpFindsAMatchInTheHostIgnoringCaseAndAnchorsWhereTold() {
        TestRequest request = TestRequest.get("/").host("eu.shop.example");
        assertThat(matches("HostRegexp(`^[a-z]+\\.shop\\.example$`)", request)).isTrue();
        assertThat(matches("HostRegexp(`^[A-Z]+\\.SHOP\\.example$`)", request)).isTrue();
        assertThat(matches("HostRegexp(`shop\\.example`)", request)).isTrue();
        assertThat(matches("HostRegexp(`^shop\\.example$`)", request)).isFalse();
        assertThat(matches("HostRegexp(`^eu\\.`)", request)).isTrue();
        assertThat(matches("HostRegexp(`^us\\.`)", request)).isFalse();
    }

    @Test
    void pathIsExactAndRaw() {
        TestRequest request = TestRequest.get("/pos/items%2F1");
        assertThat(matches("Path(`/pos/items%2F1`)", request)).isTrue();
        assertThat(matches("Path(`/pos/items/1`)", request)).isFalse();
        assertThat(matches("Path(`/pos`)", request)).isFalse();
        assertThat(matches("Path(`/x`, `/pos/items%2F1`)", request)).isTrue();
        assertThat(matches("Path(`/pos/`)", TestRequest.get("/pos"))).isFalse();
    }

    @Test
    void pathPrefixIsAPlainStringPrefix() {
        assertThat(matches("PathPrefix(`/pos`)", TestRequest.get("/pos"))).isTrue();
        assertThat(matches("PathPrefix(`/pos`)", TestRequest.get("/pos/1"))).isTrue();
        assertThat(matches("PathPrefix(`/pos`)", TestRequest.get("/postal"))).isTrue();
        assertThat(matches("PathPrefix(`/pos/`)", TestRequest.get("/pos"))).isFalse();
        assertThat(matches("PathPrefix(`/a`, `/pos`)", TestRequest.get("/pos/1"))).isTrue();
        assertThat(matches("PathPrefix(`/a`, `/b`)", TestRequest.get("/pos/1"))).isFalse();
    }

    @Test
    void pathRegexpFindsAMatchInThePathAndAnchorsWhereTold() {
        assertThat(matches("PathRegexp(`^/v[0-9]+/items$`)", TestRequest.get("/v2/items"))).isTrue();
        assertThat(matches("PathRegexp(`^/v[0-9]+/items$`)", TestRequest.get("/v2/items/7"))).isFalse();
        assertThat(matches("PathRegexp(`^/v[0-9]+/`)", TestRequest.get("/v2/items/7"))).isTrue();
        assertThat(matches("PathRegexp(`^/v[0-9]+`)", TestRequest.get("/api/v2"))).isFalse();
        assertThat(matches("PathRegexp(`/v[0-9]+`)", TestRequest.get("/api/v2"))).isTrue();
        assertThat(matches("PathRegexp(`\\.(png|jpg)$`)", TestRequest.get("/img/a.png"))).isTrue();
        assertThat(matches("PathRegexp(`\\.(png|jpg)$`)", TestRequest.get("/img/a.png/x"))).isFalse();
        assertThat(matches("PathRegexp(`/V2`)", TestRequest.get("/v2"))).isFalse();
    }

    @Test
    void methodIsNormalisedToUpperCaseAndComparedExactly() {
        assertThat(matches("Method(`post`)", TestRequest.get("/").method("POST"))).isTrue();
        assertThat(matches("Method(`GET`, `POST`)", TestRequest.get("/").method("POST"))).isTrue();
        assertThat(matches("Method(`GET`, `POST`)", TestRequest.get("/").method("PUT"))).isFalse();
        assertThat(matches("Method(`POST`)", TestRequest.get("/").method("post"))).isFalse();
    }

    @Test
    void headerComparesEachValueExactly() {
        TestRequest request = TestRequest.get("/").header("X-Canary", "1");
        assertThat(matches("Header(`x-canary`, `1`)", request)).isTrue();
        assertThat(matches("Header(`X-Canary`, `10`)", request)).isFalse();
        assertThat(matches("Header(`X-Other`, `1`)", request)).isFalse();
        assertThat(matches("Header(`X-Other`, ``)", request)).isFalse();
        assertThat(matches("Header(`X-Other`, ``)", request.header("X-Other", ""))).isTrue();
        TestRequest twoLines = request.addHeader("X-Canary", "2");
        assertThat(matches("Header(`X-Canary`, `2`)", twoLines)).as("the second field line").isTrue();
        assertThat(matches("Header(`X-Canary`, `1`)", twoLines)).isTrue();
        assertThat(matches("Header(`X-Canary`, `3`)", twoLines)).isFalse();
    }

    @Test
    void headerRegexpFindsAMatchAnywhereInTheValue() {
        TestRequest request = TestRequest.get("/").header("User-Agent", "Mozilla/5.0 Mobile Safari");
        assertThat(matches("HeaderRegexp(`User-Agent`, `Mobile`)", request)).isTrue();
        assertThat(matches("HeaderRegexp(`User-Agent`, `^Mobile`)", request)).isFalse();
        assertThat(matches("HeaderRegexp(`X-Missing`, `.*`)", request)).isFalse();
        assertThat(matches("HeaderRegexp(`User-Agent`, `^Mobile`)", request.addHeader("User-Agent", "Mobile/2")))
                .as("the second field line").isTrue();
    }

    @Test
    void queryChecksPresenceOrAnyDecodedValue() {
        TestRequest request = TestRequest.get("/").query("a=1&mode=slow&mode=fast&flag&q=hello+w%C3%B6rld&sp%61ce=x");
        assertThat(matches("Query(`flag`)", request)).isTrue();
        assertThat(matches("Query(`mode`)", request)).isTrue();
        assertThat(matches("Query(`missing`)", request)).isFalse();
        assertThat(matches("Query(`mode`, `fast`)", request)).isTrue();
        assertThat(matches("Query(`mode`, `slow`)", request)).isTrue();
        assertThat(matches("Query(`mode`, `medium`)", request)).isFalse();
        assertThat(matches("Query(`flag`, ``)", request)).isTrue();
        assertThat(matches("Query(`q`, `hello wörld`)", request)).isTrue();
        assertThat(matches("Query(`space`, `x`)", request)).isTrue();
        assertThat(matches("Query(`a`, `1`)", request)).isTrue();
        assertThat(matches("Query(`a`)", TestRequest.get("/").query("ab=1"))).isFalse();
        assertThat(matches("Query(`ab`)", TestRequest.get("/").query("a=1"))).isFalse();
        assertThat(matches("Query(`a`)", TestRequest.get("/"))).isFalse();
    }

    @Test
    void queryDecodingKeepsRawNonAsciiTextIntact() {
        assertThat(matches("Query(`e`, `\uD83D\uDE00 x`)", TestRequest.get("/").query("e=\uD83D\uDE00+x"))).isTrue();
        assertThat(matches("Query(`e`, `\uD83D\uDE00 x`)", TestRequest.get("/").query("e=%F0%9F%98%80%20x"))).isTrue();
        assertThat(matches("Query(`e`, `\uD83D\uDE00`)", TestRequest.get("/").query("e=%F0%9F%98%80%20x"))).isFalse();
    }

    @Test
    void queryPairsWithBadEscapesOrSemicolonsAreSkippedLikeGo() {
        assertThat(matches("Query(`a`)", TestRequest.get("/").query("a=%zz"))).isFalse();
        assertThat(matches("Query(`a`, `1`)", TestRequest.get("/").query("a=%zz&a=1"))).isTrue();
        assertThat(matches("Query(`a`)", TestRequest.get("/").query("a=1;b=2"))).isFalse();
        assertThat(matches("Query(`a`)", TestRequest.get("/").query("&&a&"))).isTrue();
    }

    @Test
    void queryRegexpFindsAMatchInAnyDecodedValue() {
        TestRequest request = TestRequest.get("/").query("id=abc&id=42&name=J%C3%BCrgen");
        assertThat(matches("QueryRegexp(`id`, `^[0-9]+$`)", request)).isTrue();
        assertThat(matches("QueryRegexp(`id`, `^x`)", request)).isFalse();
        assertThat(matches("QueryRegexp(`name`, `ü`)", request)).isTrue();
        assertThat(matches("QueryRegexp(`other`, `.*`)", request)).isFalse();
    }

    @Test
    void clientIpMatchesAddressesAndNetworksOfBothFamilies() {
        TestRequest request = TestRequest.get("/");
        assertThat(matches("ClientIP(`10.0.0.0/8`)", request.clientIp("10.20.30.40"))).isTrue();
        assertThat(matches("ClientIP(`10.0.0.0/8`)", request.clientIp("11.0.0.1"))).isFalse();
        assertThat(matches("ClientIP(`192.0.2.7`)", request.clientIp("192.0.2.7"))).isTrue();
        assertThat(matches("ClientIP(`192.0.2.7`)", request.clientIp("192.0.2.8"))).isFalse();
        assertThat(matches("ClientIP(`2001:db8::/32`)", request.clientIp("2001:db8:1::5"))).isTrue();
        assertThat(matches("ClientIP(`2001:db8::/32`)", request.clientIp("2001:db9::5"))).isFalse();
        assertThat(matches("ClientIP(`::1`)", request.clientIp("[::1]"))).isTrue();
        assertThat(matches("ClientIP(`fe80::/10`)", request.clientIp("fe80::1%eth0"))).isTrue();
        assertThat(matches("ClientIP(`10.0.0.0/8`)", request.clientIp("::ffff:10.1.1.1"))).isTrue();
        assertThat(matches("ClientIP(`::/0`)", request.clientIp("10.1.1.1"))).isFalse();
        assertThat(matches("ClientIP(`1.2.3.4`, `10.0.0.0/8`)", request.clientIp("10.9.9.9"))).isTrue();
        assertThat(matches("ClientIP(`10.0.0.0/8`)", request.clientIp("not-an-ip"))).isFalse();
        assertThat(matches("ClientIP(`10.0.0.0/8`)", request.clientIp(null))).isFalse();
    }

    @Test
    void operatorsCombine() {
        Rule rule = RuleParser.parse("Host(`shop.example`) || (Header(`X-Canary`, `1`) && !ClientIP(`10.0.0.0/8`))");
        TestRequest request = TestRequest.get("/").host("other.example").clientIp("192.0.2.1");
        assertThat(rule.matches(request.host("shop.example"))).isTrue();
        assertThat(rule.matches(request)).isFalse();
        assertThat(rule.matches(request.header("X-Canary", "1"))).isTrue();
        assertThat(rule.matches(request.header("X-Canary", "1").clientIp("10.0.0.9"))).isFalse();
    }

    @Test
    void matchersBuiltInCodeAreValidatedLikeParsedOnes() {
        assertThatThrownBy(() -> new Matcher.Path(List.of("nope")))
                .hasMessage("path 'nope' does not start with '/'");
        assertThatThrownBy(() -> new Matcher.Host(List.of()))
                .hasMessage("hosts: [] (expected: at least one value)");
        assertThatThrownBy(() -> new Rule.And(List.of(new Matcher.Query("a", null))))
                .hasMessage("operands: 1 (expected: >= 2)");
        assertThat(new Matcher.Method(List.of("patch")).methods()).containsExactly("PATCH");
        assertThat(new Matcher.Host(List.of("A.Example")).hosts()).containsExactly("a.example");
    }
}
