package io.outpost.middleware;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.config.MiddlewareConfig;
import io.outpost.testing.RawHttp;
import java.util.List;
import org.junit.jupiter.api.Test;

class PathMiddlewareTest {

    private static Middleware strip(String... prefixes) {
        return Fixture.build(new MiddlewareConfig.StripPrefix(List.of(prefixes)));
    }

    @Test
    void stripPrefixRemovesTheFirstMatchingPrefixAndKeepsTheQuery() throws Exception {
        try (Fixture f = Fixture.start(strip("/api", "/pos"))) {
            RawHttp.Response r = f.get("/pos/items/7?x=1&y=%2F", "X-Forwarded-Prefix: /spoofed");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("b1 GET /items/7?x=1&y=%2F body=0\n");
            assertThat(f.received(0, "X-Forwarded-Prefix")).containsExactly("/pos");
        }
    }

    @Test
    void stripPrefixNeverLeavesAnEmptyPath() throws Exception {
        try (Fixture f = Fixture.start(strip("/pos", "/shop/"))) {
            assertThat(f.get("/pos").body()).isEqualTo("b1 GET / body=0\n");
            assertThat(f.get("/pos?q=1").body()).isEqualTo("b1 GET /?q=1 body=0\n");
            assertThat(f.get("/shop/cart").body()).isEqualTo("b1 GET /cart body=0\n");
            // A plain string prefix, as in Traefik: "/pos" also matches "/posv2".
            assertThat(f.get("/posv2/a").body()).isEqualTo("b1 GET /v2/a body=0\n");
            assertThat(f.received(3, "X-Forwarded-Prefix")).containsExactly("/pos");
        }
    }

    @Test
    void stripPrefixLeavesOtherPathsAlone() throws Exception {
        try (Fixture f = Fixture.start(strip("/pos"))) {
            assertThat(f.get("/po/x?a=b").body()).isEqualTo("b1 GET /po/x?a=b body=0\n");
            assertThat(f.received(0, "X-Forwarded-Prefix")).isNull();
        }
    }

    @Test
    void addPrefixPutsThePrefixInFront() throws Exception {
        try (Fixture f = Fixture.start(Fixture.build(new MiddlewareConfig.AddPrefix("/v1")))) {
            assertThat(f.get("/items?id=3").body()).isEqualTo("b1 GET /v1/items?id=3 body=0\n");
            assertThat(f.get("/").body()).isEqualTo("b1 GET /v1/ body=0\n");
        }
    }

    @Test
    void addPrefixWithoutLeadingSlashGetsOne() throws Exception {
        try (Fixture f = Fixture.start(Fixture.build(new MiddlewareConfig.AddPrefix("v1")))) {
            assertThat(f.get("/items").body()).isEqualTo("b1 GET /v1/items body=0\n");
        }
    }

    @Test
    void replacePathKeepsTheQueryAndReportsTheOriginalPath() throws Exception {
        try (Fixture f = Fixture.start(Fixture.build(new MiddlewareConfig.ReplacePath("/rpc")))) {
            RawHttp.Response r = f.get("/old/place?k=v");
            assertThat(r.body()).isEqualTo("b1 GET /rpc?k=v body=0\n");
            assertThat(f.received(0, "X-Replaced-Path")).containsExactly("/old/place");
        }
    }

    @Test
    void pathMiddlewaresComposeOnTheRewrittenPath() throws Exception {
        Middleware add = Fixture.build(new MiddlewareConfig.AddPrefix("/internal"));
        Middleware replace = Fixture.build(new MiddlewareConfig.ReplacePath("/fixed"));
        try (Fixture f = Fixture.start(strip("/pos"), add, replace)) {
            assertThat(f.get("/pos/a?z=1").body()).isEqualTo("b1 GET /fixed?z=1 body=0\n");
            assertThat(f.received(0, "X-Forwarded-Prefix")).containsExactly("/pos");
            assertThat(f.received(0, "X-Replaced-Path")).containsExactly("/internal/a");
        }
    }
}
