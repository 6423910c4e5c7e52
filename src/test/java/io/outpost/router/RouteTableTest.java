package io.outpost.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class RouteTableTest {

    @Test
    void defaultPriorityIsTheRuleLengthSoTheLongerRuleWins() {
        RouteTable<String> table = RouteTable.<String>builder()
                .add("short", "PathPrefix(`/`)", null, "root")
                .add("long", "PathPrefix(`/pos`)", null, "pos")
                .build();
        assertThat(table.routes()).extracting(Route::priority).containsExactly(18, 15);
        assertThat(table.match(TestRequest.get("/pos/1")).target()).isEqualTo("pos");
        assertThat(table.match(TestRequest.get("/other")).target()).isEqualTo("root");
    }

    @Test
    void explicitPriorityOverridesTheLength() {
        RouteTable<String> table = RouteTable.<String>builder()
                .add("catchAll", "PathPrefix(`/`)", 100, "root")
                .add("pos", "PathPrefix(`/pos`) && Method(`GET`)", null, "pos")
                .build();
        assertThat(table.match(TestRequest.get("/pos/1")).name()).isEqualTo("catchAll");
    }

    @Test
    void tiesGoToTheNameThatSortsFirstWhateverTheInsertionOrder() {
        for (List<String> order : List.of(List.of("b", "a", "c"), List.of("c", "b", "a"), List.of("a", "c", "b"))) {
            RouteTable.Builder<String> builder = RouteTable.builder();
            for (String name : order) {
                builder.add(name, "PathPrefix(`/`)", 5, name);
            }
            RouteTable<String> table = builder.build();
            assertThat(table.match(TestRequest.get("/x")).name()).isEqualTo("a");
            assertThat(table.routes()).extracting(Route::name).containsExactly("a", "b", "c");
        }
    }

    @Test
    void noMatchIsNull() {
        RouteTable<String> table = RouteTable.<String>builder()
                .add("pos", "Host(`shop.example`) && PathPrefix(`/pos`)", null, "pos")
                .build();
        assertThat(table.match(TestRequest.get("/pos").host("other.example"))).isNull();
        assertThat(table.match(TestRequest.get("/other").host("shop.example"))).isNull();
        assertThat(RouteTable.<String>builder().build().match(TestRequest.get("/"))).isNull();
    }

    @Test
    void findsRoutesFiledUnderHostsPrefixesAndFallback() {
        RouteTable<String> table = RouteTable.<String>builder()
                .add("shop-pos", "Host(`shop.example`) && PathPrefix(`/pos`)", null, "shop-pos")
                .add("shop", "Host(`shop.example`)", null, "shop")
                .add("either", "Host(`a.example`) || Host(`b.example`)", null, "either")
                .add("api", "PathPrefix(`/api`) && Method(`GET`)", null, "api")
                .add("versioned", "PathRegexp(`/v[0-9]+/items`)", null, "versioned")
                .add("canary", "Header(`X-Canary`, `1`)", 1000, "canary")
                .add("notHost", "!Host(`shop.example`) && Path(`/health`)", null, "notHost")
                .build();
        TestRequest request = TestRequest.get("/").host("shop.example");
        assertThat(table.match(request.path("/pos/1")).name()).isEqualTo("shop-pos");
        assertThat(table.match(request.path("/api")).name()).isEqualTo("api");
        assertThat(table.match(request.path("/x")).name()).isEqualTo("shop");
        assertThat(table.match(request.host("SHOP.example").path("/x")).name()).isEqualTo("shop");
        assertThat(table.match(request.host("b.example")).name()).isEqualTo("either");
        assertThat(table.match(request.host("c.example").path("/v12/items")).name()).isEqualTo("versioned");
        assertThat(table.match(request.host("c.example").path("/api/x").method("POST"))).isNull();
        assertThat(table.match(request.header("X-Canary", "1")).name()).isEqualTo("canary");
        assertThat(table.match(request.host("c.example").path("/health")).name()).isEqualTo("notHost");
        assertThat(table.match(request.path("/health")).name()).isEqualTo("shop");
    }

    @Test
    void aRuleThatCanNeverMatchIsKeptButNeverChosen() {
        RouteTable<String> table = RouteTable.<String>builder()
                .add("impossible", "Host(`a.example`) && Host(`b.example`)", 100, "x")
                .add("a", "Host(`a.example`)", 1, "a")
                .build();
        assertThat(table.size()).isEqualTo(2);
        assertThat(table.match(TestRequest.get("/").host("a.example")).name()).isEqualTo("a");
    }

    @Test
    void rejectsDuplicateNamesAndBadRoutes() {
        RouteTable.Builder<String> builder = RouteTable.<String>builder()
                .add("pos", "Path(`/a`)", null, "a")
                .add("pos", "Path(`/b`)", null, "b");
        assertThatThrownBy(builder::build).hasMessage("route pos: duplicate name (expected: unique names)");
        assertThatThrownBy(() -> RouteTable.<String>builder().add("bad", "Path(`/a`", null, "a"))
                .isInstanceOf(RuleSyntaxException.class).hasMessage("column 10: expected ',' or ')' but found end of rule");
        assertThatThrownBy(() -> Route.of("", "Path(`/a`)", null, "a")).hasMessage("name: empty (expected: a route name)");
        assertThatThrownBy(() -> Route.of("x", "Path(`/a`)", null, null))
                .hasMessage("route x: target null (expected: a target)");
    }

    @Test
    void aParsedRuleDefaultsToTheLengthOfItsCanonicalText() {
        Rule rule = RuleParser.parse("PathPrefix(\"/pos\")&&Method(`get`)");
        Route<String> route = Route.of("pos", rule, null, "pos");
        assertThat(route.priority()).isEqualTo("PathPrefix(`/pos`) && Method(`GET`)".length());
    }
}
