package io.outpost.router;

/**
 * An IPv4 or IPv6 network for {@code ClientIP}: an address plus a prefix length, with the host bits
 * cleared. A single address is a network of full length. Parsing is purely textual (no DNS).
 *
 * <p>IPv4 addresses only fall in IPv4 networks; an IPv4-mapped IPv6 network ({@code ::ffff:a.b.c.d/n}
 * with {@code n >= 96}) is read as the IPv4 network it maps.
 */
public record Cidr(boolean ipv6, long high, long low, int prefixLength) {

    public Cidr {
        int max = ipv6 ? 128 : 32;
        if (prefixLength < 0 || prefixLength > max) {
            throw new IllegalArgumentException("prefixLength: " + prefixLength + " (expected: 0-" + max + ")");
        }
        if (ipv6) {
            high &= mask(prefixLength);
            low &= mask(prefixLength - 64);
        } else {
            low &= 0xffffffffL & (mask(prefixLength) >>> 32);
        }
    }

    /**
     * Parses {@code 10.0.0.0/8}, {@code 192.168.1.7}, {@code 2001:db8::/32} or {@code ::1}.
     *
     * @throws IllegalArgumentException naming what was expected
     */
    public static Cidr parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("ClientIP: null (expected: an IPv4 or IPv6 address or CIDR)");
        }
        int slash = text.indexOf('/');
        String addressText = slash < 0 ? text : text.substring(0, slash);
        IpAddress address = IpAddress.parseLiteral(addressText);
        if (address == null) {
            throw new IllegalArgumentException("invalid ClientIP '" + text
                    + "' (expected: an IPv4 or IPv6 address or CIDR such as 10.0.0.0/8 or 2001:db8::/32)");
        }
        boolean mapped = !address.ipv6() && addressText.indexOf(':') >= 0;
        int max = address.ipv6() || mapped ? 128 : 32;
        int bits = max;
        if (slash >= 0) {
            bits = parseBits(text.substring(slash + 1));
            if (bits < 0 || bits > max) {
                throw new IllegalArgumentException("invalid ClientIP '" + text + "' (expected: a prefix length 0-"
                        + max + " after '/')");
            }
        }
        if (mapped) {
            if (bits < 96) {
                return new Cidr(true, 0, 0xffffL << 32 | address.low(), bits);
            }
            bits -= 96;
        }
        return new Cidr(address.ipv6(), address.high(), address.low(), bits);
    }

    private static int parseBits(String digits) {
        if (digits.isEmpty() || digits.length() > 3 || (digits.length() > 1 && digits.charAt(0) == '0')) {
            return -1;
        }
        int bits = 0;
        for (int i = 0; i < digits.length(); i++) {
            char c = digits.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            bits = bits * 10 + (c - '0');
        }
        return bits;
    }

    /** A mask with the top {@code bits} of 64 set; all clear for bits <= 0, all set for bits >= 64. */
    private static long mask(int bits) {
        if (bits <= 0) {
            return 0;
        }
        return bits >= 64 ? -1L : -1L << (64 - bits);
    }

    boolean contains(IpAddress address) {
        if (address.ipv6() != ipv6) {
            return false;
        }
        if (ipv6) {
            return (address.high() & mask(prefixLength)) == high && (address.low() & mask(prefixLength - 64)) == low;
        }
        return (address.low() & (mask(prefixLength) >>> 32)) == low;
    }

    /** True when the textual address falls in this network; false for anything that is not an address. */
    public boolean contains(String address) {
        IpAddress parsed = address == null ? null : IpAddress.parseOrNull(address);
        return parsed != null && contains(parsed);
    }

    @Override
    public String toString() {
        String address = new IpAddress(ipv6, high, low).toString();
        return prefixLength == (ipv6 ? 128 : 32) ? address : address + "/" + prefixLength;
    }
}
