package io.outpost.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ValuesTest {

    @Test
    void durationsReadGoNotation() {
        assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("1s")).isEqualTo(Duration.ofSeconds(1));
        assertThat(Durations.parse("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Durations.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
        assertThat(Durations.parse("250us")).isEqualTo(Duration.ofNanos(250_000));
        assertThat(Durations.parse("0")).isEqualTo(Duration.ZERO);
    }

    @Test
    void durationsRejectBareNumbersAndJunk() {
        assertThatThrownBy(() -> Durations.parse("10"))
                .hasMessage("\"10\" has no unit (expected: a duration such as \"10s\" or \"10ms\")");
        assertThatThrownBy(() -> Durations.parse("10x")).hasMessageContaining("\"10x\" is not a duration");
        assertThatThrownBy(() -> Durations.parse("s")).hasMessageContaining("\"s\" is not a duration");
        assertThatThrownBy(() -> Durations.parse("-1s")).hasMessageContaining("is negative");
        assertThatThrownBy(() -> Durations.parse("")).hasMessageContaining("empty duration");
    }

    @Test
    void durationsFormatBackToTheSameNotation() {
        for (String text : new String[] {"500ms", "1s", "2m", "1h30m", "250us"}) {
            assertThat(Durations.format(Durations.parse(text))).isEqualTo(text);
        }
        assertThat(Durations.format(Durations.parse("1h0m5s"))).isEqualTo("1h5s");
        assertThat(Durations.format(Duration.ZERO)).isEqualTo("0s");
    }

    @Test
    void byteSizesUseSiAndBinaryUnits() {
        assertThat(ByteSizes.parse("64KB")).isEqualTo(64_000);
        assertThat(ByteSizes.parse("10MB")).isEqualTo(10_000_000);
        assertThat(ByteSizes.parse("1GiB")).isEqualTo(1L << 30);
        assertThat(ByteSizes.parse("2KiB")).isEqualTo(2048);
        assertThat(ByteSizes.parse("4096")).isEqualTo(4096);
        assertThat(ByteSizes.parse("1.5MB")).isEqualTo(1_500_000);
        assertThatThrownBy(() -> ByteSizes.parse("10XB")).hasMessageContaining("unknown unit 'XB'");
        assertThatThrownBy(() -> ByteSizes.parse("ten")).hasMessageContaining("\"ten\" is not a size");
        assertThatThrownBy(() -> ByteSizes.parse("1.5B")).hasMessageContaining("not a whole number of bytes");
    }

    @Test
    void hostPortForms() {
        assertThat(HostPort.parse("127.0.0.1:8080")).isEqualTo(new HostPort("127.0.0.1", 8080));
        assertThat(HostPort.parse(":80").wildcard()).isTrue();
        assertThat(HostPort.parse("[::1]:9000")).isEqualTo(new HostPort("::1", 9000));
        assertThat(HostPort.parse("[::1]:9000").toString()).isEqualTo("[::1]:9000");
        assertThatThrownBy(() -> HostPort.parse("localhost")).hasMessageContaining("is not an address");
        assertThatThrownBy(() -> HostPort.parse("host:99999")).hasMessageContaining("is not an address");
        assertThatThrownBy(() -> HostPort.parse("::1:80")).hasMessageContaining("is not an address");
    }

    @Test
    void addressesClashOnTheSamePortUnlessEphemeral() {
        assertThat(HostPort.parse("0.0.0.0:80").clashesWith(HostPort.parse("127.0.0.1:80"))).isTrue();
        assertThat(HostPort.parse("10.0.0.1:80").clashesWith(HostPort.parse("127.0.0.1:80"))).isFalse();
        assertThat(HostPort.parse("127.0.0.1:0").clashesWith(HostPort.parse("127.0.0.1:0"))).isFalse();
    }

    @Test
    void upstreamUrls() {
        assertThat(UpstreamUrl.parse("http://cloud.internal")).isEqualTo(new UpstreamUrl("http", "cloud.internal", 80));
        assertThat(UpstreamUrl.parse("https://a.example/")).isEqualTo(new UpstreamUrl("https", "a.example", 443));
        assertThat(UpstreamUrl.parse("http://[::1]:9000").toString()).isEqualTo("http://[::1]:9000");
        assertThatThrownBy(() -> UpstreamUrl.parse("htp://x")).hasMessage("\"htp://x\" is not an http(s) URL");
        assertThatThrownBy(() -> UpstreamUrl.parse("http://")).hasMessageContaining("is not an http(s) URL");
        assertThatThrownBy(() -> UpstreamUrl.parse("http:/x")).hasMessageContaining("has no host");
        assertThatThrownBy(() -> UpstreamUrl.parse("http://a/api")).hasMessageContaining("must be scheme://host[:port] only");
        assertThatThrownBy(() -> UpstreamUrl.parse("http://a?x=1")).hasMessageContaining("must be scheme://host[:port] only");
    }

    @Test
    void cidrs() {
        Cidr ten = Cidr.parse("10.1.2.3/8");
        assertThat(ten.toString()).isEqualTo("10.0.0.0/8");
        assertThat(ten.contains(new byte[] {10, 9, 9, 9})).isTrue();
        assertThat(ten.contains(new byte[] {11, 0, 0, 1})).isFalse();
        assertThat(Cidr.parse("192.168.1.7").prefixLength()).isEqualTo(32);
        assertThat(Cidr.parse("fd00::/8").toString()).startsWith("fd00:");
        assertThatThrownBy(() -> Cidr.parse("10.0.0.0/33")).hasMessageContaining("is not an IP range");
        assertThatThrownBy(() -> Cidr.parse("example.com")).hasMessageContaining("is not an IP range");
    }

    /**
     * Only the forms {@code ClientIP} accepts: four decimal octets for IPv4. The legacy short forms would
     * widen or move a range without a word: "192.168.1/24" read as 192.168.0.1/24 covers 192.168.0.0/24.
     */
    @Test
    void cidrsAreReadAsWrittenOrRefused() {
        for (String text : new String[] {"192.168.1/24", "127.1", "1", "010.0.0.1", "10.0.0.0/08", "0x7f.0.0.1", "1.2.3.4.5"}) {
            assertThatThrownBy(() -> Cidr.parse(text)).as(text).hasMessageContaining("is not an IP range");
        }
        assertThat(Cidr.parse("0.0.0.0/0").toString()).isEqualTo("0.0.0.0/0");
        assertThat(Cidr.parse("255.255.255.255").prefixLength()).isEqualTo(32);
    }

    @Test
    void anIpv4MappedIpv6RangeIsTheIpv4RangeItMaps() {
        assertThat(Cidr.parse("::ffff:10.0.0.0/104")).isEqualTo(Cidr.parse("10.0.0.0/8"));
        assertThat(Cidr.parse("::ffff:192.168.1.7")).isEqualTo(Cidr.parse("192.168.1.7"));
        assertThat(Cidr.parse("::ffff:0.0.0.0/80").network()).hasSize(16);
        assertThatThrownBy(() -> Cidr.parse("::ffff:10.0.0.0/129")).hasMessageContaining("is not an IP range");
        assertThatThrownBy(() -> Cidr.parse("::ffff:10.1/104")).hasMessageContaining("is not an IP range");
    }

    @Test
    void statusRangesAndRequestKeys() {
        assertThat(StatusRange.parse("200-399")).isEqualTo(StatusRange.DEFAULT);
        assertThat(StatusRange.parse("204").contains(204)).isTrue();
        assertThatThrownBy(() -> StatusRange.parse("399-200")).hasMessageContaining("is not a status range");
        Set<RequestKey.Source> all = Set.of(RequestKey.Source.values());
        assertThat(RequestKey.parse("header:X-User", all)).isEqualTo(new RequestKey(RequestKey.Source.HEADER, "X-User"));
        assertThat(RequestKey.parse("clientIp", all)).isEqualTo(RequestKey.CLIENT_IP);
        assertThatThrownBy(() -> RequestKey.parse("header:", all)).hasMessageContaining("is not a request key");
        assertThatThrownBy(() -> RequestKey.parse("query:q", Set.of(RequestKey.Source.HEADER)))
                .hasMessage("\"query:q\" is not a request key (expected: header:NAME)");
    }
}
