package io.outpost.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/** An IP range for {@code ipAllowList}. A single address is a range of one. */
public record Cidr(byte[] network, int prefixLength) implements Scalar {

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
        if (!addr.matches("[0-9.]+") && !(addr.contains(":") && addr.matches("[0-9a-fA-F:.]+"))) {
            throw notCidr(text);
        }
        byte[] bytes;
        try {
            bytes = InetAddress.getByName(addr).getAddress();
        } catch (UnknownHostException e) {
            throw notCidr(text);
        }
        int max = bytes.length * 8;
        int prefix = max;
        if (slash >= 0) {
            String p = s.substring(slash + 1);
            if (!p.matches("\\d{1,3}") || Integer.parseInt(p) > max) {
                throw notCidr(text);
            }
            prefix = Integer.parseInt(p);
        }
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
