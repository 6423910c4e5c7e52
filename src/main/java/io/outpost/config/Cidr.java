package io.outpost.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * An IP range for {@code ipAllowList}, {@code allow} and {@code forwardedHeaders.trustedIPs}. A single
 * address is a range of one. The text forms are those of the {@code ClientIP} rule: an IPv4 address is
 * four decimal octets, and an IPv4-mapped IPv6 range ({@code ::ffff:a.b.c.d/n}, n >= 96) is the IPv4
 * range it maps.
 */
public record Cidr(byte[] network, int prefixLength) implements Scalar {

    private static final String OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
    /** Four decimal octets, no leading zeros: the short and octal forms InetAddress also reads are refused. */
    private static final Pattern IPV4 = Pattern.compile(OCTET + "(?:\\." + OCTET + "){3}");
    /** IPv6 hex groups, optionally ending in an IPv4 address as above. */
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:]*:[0-9a-fA-F:]*(?:" + IPV4.pattern() + ")?");
    private static final Pattern PREFIX = Pattern.compile("0|[1-9][0-9]{0,2}");

    public Cidr {
        network = network.clone();
    }

    /**
     * Parses {@code "10.0.0.0/8"}, {@code "192.168.1.7"} or {@code "fd00::/8"}. Only literal addresses
     * are accepted, so parsing never resolves a name.
     *
     * @throws IllegalArgumentException with a message fit for a configuration error
     */
    public static Cidr parse(String text) {
        String s = text.strip();
        int slash = s.indexOf('/');
        String addr = slash < 0 ? s : s.substring(0, slash);
        boolean ipv6 = addr.indexOf(':') >= 0;
        if (!(ipv6 ? IPV6 : IPV4).matcher(addr).matches()) {
            throw notCidr(text);
        }
        byte[] bytes;
        try {
            bytes = InetAddress.getByName(addr).getAddress();
        } catch (UnknownHostException e) {
            throw notCidr(text);
        }
        // InetAddress reads ::ffff:a.b.c.d as the IPv4 address a.b.c.d; its prefix still counts 128 bits.
        boolean mapped = ipv6 && bytes.length == 4;
        int max = mapped ? 128 : bytes.length * 8;
        int prefix = max;
        if (slash >= 0) {
            String p = s.substring(slash + 1);
            if (!PREFIX.matcher(p).matches() || Integer.parseInt(p) > max) {
                throw notCidr(text);
            }
            prefix = Integer.parseInt(p);
        }
        if (mapped && prefix >= 96) {
            prefix -= 96;
        } else if (mapped) {
            byte[] v6 = new byte[16];
            v6[10] = (byte) 0xff;
            v6[11] = (byte) 0xff;
            System.arraycopy(bytes, 0, v6, 12, 4);
            bytes = v6;
        }
        max = bytes.length * 8;
        for (int bit = prefix; bit < max; bit++) {
            bytes[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        return new Cidr(bytes, prefix);
    }

    @Override
    public byte[] network() {
        return network.clone();
    }

    /** True when {@code address} (4 or 16 bytes) lies in this range. */
    public boolean contains(byte[] address) {
        if (address.length != network.length) {
            return false;
        }
        for (int bit = 0; bit < prefixLength; bit++) {
            int mask = 0x80 >>> (bit % 8);
            if ((address[bit / 8] & mask) != (network[bit / 8] & mask)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefixLength == prefixLength && Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(network) + prefixLength;
    }

    @Override
    public String toString() {
        try {
            return InetAddress.getByAddress(network).getHostAddress() + "/" + prefixLength;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static IllegalArgumentException notCidr(String text) {
        return new IllegalArgumentException("\"" + text + "\" is not an IP range (expected: for example \"10.0.0.0/8\" or \"192.168.1.7\")");
    }
}
