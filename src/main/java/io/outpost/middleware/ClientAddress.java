package io.outpost.middleware;

import io.netty.util.NetUtil;
import io.outpost.config.Cidr;
import java.util.Arrays;

/** Matches a client's address against CIDR ranges, for the middlewares that allow by network. */
public final class ClientAddress {

    private ClientAddress() {
    }

    /**
     * True when {@code clientIp} (a literal, never resolved) lies in one of {@code ranges}. An
     * IPv4-mapped IPv6 address ({@code ::ffff:10.1.2.3}) is matched as IPv4.
     */
    public static boolean inAny(Cidr[] ranges, String clientIp) {
        byte[] address = clientIp == null ? null : NetUtil.createByteArrayFromIpAddressString(clientIp);
        if (address == null) {
            return false;
        }
        if (address.length == 16 && isIpv4Mapped(address)) {
            address = Arrays.copyOfRange(address, 12, 16);
        }
        for (Cidr range : ranges) {
            if (range.contains(address)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isIpv4Mapped(byte[] a) {
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
    }
}
