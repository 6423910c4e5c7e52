package io.outpost.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HashKeyTest {

    private final FakeRequest request = new FakeRequest()
            .header("X-User", "alice")
            .header("Cookie", "theme=dark; session=\"s-123\"; empty=")
            .query("a=1&user=bob&flag")
            .clientIp("192.0.2.7");

    @Test
    void readsEachSource() {
        assertThat(HashKey.parse("header:x-user").value(request, null)).isEqualTo("alice");
        assertThat(HashKey.parse("cookie:session").value(request, null)).isEqualTo("s-123");
        assertThat(HashKey.parse("cookie:theme").value(request, null)).isEqualTo("dark");
        assertThat(HashKey.parse("query:user").value(request, null)).isEqualTo("bob");
        assertThat(HashKey.parse("claim:sub").value(request, Map.<String, Object>of("sub", 42)::get)).isEqualTo("42");
        assertThat(HashKey.parse("clientIp").value(request, null)).isEqualTo("192.0.2.7");
    }

    @Test
    void absentValuesAreNull() {
        assertThat(HashKey.parse("header:X-None").value(request, null)).isNull();
        assertThat(HashKey.parse("cookie:empty").value(request, null)).isNull();
        assertThat(HashKey.parse("cookie:sess").value(request, null)).isNull();
        assertThat(HashKey.parse("query:flag").value(request, null)).isNull();
        assertThat(HashKey.parse("query:use").value(request, null)).isNull();
        assertThat(HashKey.parse("claim:sub").value(request, null)).isNull();
        assertThat(HashKey.parse(null).value(request, null)).isNull();
    }

    @Test
    void presentKeyHashesStablyAbsentKeyRandomly() {
        HashKey user = HashKey.parse("header:X-User");
        SplittableRandom random = new SplittableRandom(3);
        assertThat(user.hash(request, null, random)).isEqualTo(XxHash64.hash("alice"));
        HashKey missing = HashKey.parse("header:X-Missing");
        long a = missing.hash(request, null, random);
        long b = missing.hash(request, null, random);
        assertThat(a).isNotEqualTo(b);
    }

    @Test
    void rejectsBadSpecs() {
        assertThatThrownBy(() -> HashKey.parse("body:x")).hasMessageContaining("hashOn: \"body:x\" (expected:");
        assertThatThrownBy(() -> HashKey.parse("header:")).hasMessageContaining("a name after 'header:'");
        assertThat(HashKey.parse("cookie:sid").toString()).isEqualTo("cookie:sid");
    }
}
