package io.outpost.router;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

class RuleAnalysisTest {

    private static Set<String> hosts(String rule) {
        return RuleAnalysis.requiredHosts(RuleParser.parse(rule));
    }

    private static Set<String> prefixes(String rule) {
        return RuleAnalysis.requiredPrefixes(RuleParser.parse(rule));
    }

    @Test
    void requiredHosts() {
        assertThat(hosts("Host(`A.example`, `b.example`)")).containsExactlyInAnyOrder("a.example", "b.example");
        assertThat(hosts("Host(`a`, `b`) && Host(`b`, `c`)")).containsExactly("b");
        assertThat(hosts("Host(`a`) && Host(`b`)")).isEmpty();
        assertThat(hosts("Host(`a`) || Host(`b`) && Path(`/`)")).containsExactlyInAnyOrder("a", "b");
        assertThat(hosts("Host(`a`) || Path(`/`)")).isNull();
        assertThat(hosts("!Host(`a`)")).isNull();
        assertThat(hosts("HostRegexp(`a`)")).isNull();
        assertThat(hosts("Path(`/`) && Host(`a`)")).containsExactly("a");
    }

    @Test
    void requiredPrefixes() {
        assertThat(prefixes("Path(`/a`, `/b`)")).containsExactlyInAnyOrder("/a", "/b");
        assertThat(prefixes("PathPrefix(`/a`) && PathPrefix(`/a/b/c`)")).containsExactly("/a/b/c");
        assertThat(prefixes("PathPrefix(`/a`) || Path(`/b`)")).containsExactlyInAnyOrder("/a", "/b");
        assertThat(prefixes("PathPrefix(`/a`) || Method(`GET`)")).isNull();
        assertThat(prefixes("!PathPrefix(`/a`)")).isNull();
        assertThat(prefixes("PathRegexp(`^/api/v[0-9]+`)")).containsExactly("/api/v");
        assertThat(prefixes("PathRegexp(`/api/v[0-9]+`)")).isNull();
        assertThat(prefixes("Host(`a`)")).isNull();
    }

    @Test
    void literalPrefixOfARegexpIsConservative() {
        assertThat(RuleAnalysis.literalPrefix("^/api/items$")).isEqualTo("/api/items");
        assertThat(RuleAnalysis.literalPrefix("^/api/x?")).isEqualTo("/api/");
        assertThat(RuleAnalysis.literalPrefix("^/api/x*y")).isEqualTo("/api/");
        assertThat(RuleAnalysis.literalPrefix("^/api/x{2}")).isEqualTo("/api/");
        assertThat(RuleAnalysis.literalPrefix("^/a\\.b")).isEqualTo("/a");
        assertThat(RuleAnalysis.literalPrefix("/api/items")).as("unanchored: found anywhere").isNull();
        assertThat(RuleAnalysis.literalPrefix("^/a|/b")).isNull();
        assertThat(RuleAnalysis.literalPrefix("(?i)/a")).isNull();
        assertThat(RuleAnalysis.literalPrefix("^x+")).isNull();
        assertThat(RuleAnalysis.literalPrefix(".*")).isNull();
    }
}
