package io.outpost.proxy;

import io.outpost.config.Cidr;
import io.outpost.middleware.ClientAddress;
import java.util.List;

/**
 * Which clients of an entry point may send {@code X-Forwarded-*}, {@code X-Real-Ip} and RFC 7239
 * {@code Forwarded} headers that the gateway keeps, as Traefik's
 * {@code entryPoints.<name>.forwardedHeaders} decides: a client inside {@code trustedIPs} (another
 * proxy in front of the gateway), or every client with {@code insecure}. Everyone else's are
 * removed, and the gateway's own {@code X-Forwarded-*} values replace them. The decision is made
 * once per connection.
 */
public final class ForwardedTrust {

    /** The default: no client is trusted. */
    public static final ForwardedTrust NONE = new ForwardedTrust(false, List.of());
    /** {@code insecure: true}: every client is trusted. */
    public static final ForwardedTrust ALL = new ForwardedTrust(true, List.of());

    private final boolean insecure;
    private final Cidr[] trustedIPs;

    private ForwardedTrust(boolean insecure, List<Cidr> trustedIPs) {
        this.insecure = insecure;
        this.trustedIPs = trustedIPs.toArray(new Cidr[0]);
    }

    public static ForwardedTrust of(boolean insecure, List<Cidr> trustedIPs) {
        if (insecure) {
            return ALL;
        }
        return trustedIPs.isEmpty() ? NONE : new ForwardedTrust(false, trustedIPs);
    }

    /**
     * Whether a connection from {@code clientIp} keeps the forwarding headers it sends. An
     * IPv4-mapped IPv6 peer is matched as the IPv4 address it carries.
     */
    boolean trusts(String clientIp) {
        return insecure || trustedIPs.length > 0 && ClientAddress.inAny(trustedIPs, clientIp);
    }

    @Override
    public String toString() {
        return insecure ? "insecure" : "trustedIPs" + java.util.Arrays.toString(trustedIPs);
    }
}
