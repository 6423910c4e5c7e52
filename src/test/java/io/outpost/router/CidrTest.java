package io.outpost.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CidrTest {

    @ParameterizedTest
    @CsvSource({
        "10.0.0.0/8, 10.0.0.0/8",
        "10.1.2.3/8, 10.0.0.0/8",
        "192.168.1.7, 192.168.1.7",
        "192.168.1.7/32, 192.168.1.7",
        "0.0.0.0/0, 0.0.0.0/0",
        "::1, ::1",
        "::, ::",
        "2001:DB8::/32, 2001:db8::/32",
        "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
        "2001:0db8:0000:0000:0000:0000:0000:0001/64, 2001:db8::/64",
        "fe80::1:2/10, fe80::/10",
        "1::, 1::",
        "1:0:1::1, 1:0:1::1",
        "::ffff:10.0.0.0/104, 10.0.0.0/8",
        "::ffff:10.0.0.1, 10.0.0.1",
        "::ffff:10.0.0.0/80, ::/80",
        "::ffff:0:0/96, 0.0.0.0/0",
        "64:ff9b::192.0.2.33, 64:ff9b::c000:221",
    })
    void parsesAndRendersCanonically(String text, String canonical) {
        Cidr cidr = Cidr.parse(text);
        assertThat(cidr).hasToString(canonical);
        assertThat(Cidr.parse(canonical)).isEqualTo(cidr);
    }

    @ParameterizedTest
    @CsvSource({
        "10.0.0.0/8, 10.255.255.255, true",
        "10.0.0.0/8, 9.255.255.255, false",
        "10.0.0.0/8, 11.0.0.0, false",
        "172.16.0.0/12, 172.31.0.1, true",
        "172.16.0.0/12, 172.32.0.1, false",
        "0.0.0.0/0, 203.0.113.9, true",
        "0.0.0.0/0, ::1, false",
        "2001:db8::/32, 2001:db8:ffff::1, true",
        "2001:db8::/32, 2001:db9::1, false",
        "2001:db8::/65, 2001:db8::7fff:0:0:1, true",
        "2001:db8::/65, 2001:db8::8000:0:0:1, false",
        "::1, ::1, true",
        "::1, ::2, false",
        "::/0, 2001:db8::1, true",
        "::/0, 127.0.0.1, false",
        "10.0.0.0/8, ::ffff:10.0.0.1, true",
        "10.0.0.0/8, 010.0.0.1, false",
        "10.0.0.0/8, 10.0.0, false",
        "10.0.0.0/8, example.com, false",
    })
    void containsAddressesOfItsOwnFamily(String network, String address, boolean expected) {
        assertThat(Cidr.parse(network).contains(address)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "localhost", "example.com", "10.0.0.0/", "10.0.0.0/08", "10.0.0.0/-1", "10.0.0.0/33", "10.0.0",
        "10.0.0.0.0", "010.0.0.0", "1.2.3.256", "1.2.3.4 ", "::/129", "1:2:3:4:5:6:7:8:9", ":1::", "1:::2",
        "1::2::3", "12345::", "1:2:3:4:5:6:7:1.2.3.4", "::1%eth0", "[::1]", "g::", "1:", "::1.2.3",
        "\u0661.2.3.4",
    })
    void rejectsWhatIsNotALiteralAddressOrNetwork(String text) {
        assertThatThrownBy(() -> Cidr.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid ClientIP '" + text + "' (expected: ");
    }
}
