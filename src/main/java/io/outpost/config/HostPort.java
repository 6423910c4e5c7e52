package io.outpost.config;

import java.util.Locale;

/**
 * A listening address, {@code host:port}. An empty host ({@code ":8080"}) or {@code 0.0.0.0}/{@code ::}
 * means every interface. Port 0 asks the system for a free port, which tests use.
 */
public record HostPort(String host, int port) implements Scalar {

    public HostPort {
        host = host.toLowerCase(Locale.ROOT);
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0-65535)");
        }
    }

    /**
     * Parses {@code "127.0.0.1:8080"}, {@code ":8080"} or {@code "[::1]:8080"}.
     *
     * @throws IllegalArgumentException with a message fit for a configuration error
     */
    public static HostPort parse(String text) {
        String s = text.strip();
        int colon = s.lastIndexOf(':');
        String host = colon < 0 ? s : s.substring(0, colon);
        String port = colon < 0 ? "" : s.substring(colon + 1);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw notAddress(text);
        }
        if (!port.matches("\\d{1,5}") || Integer.parseInt(port) > 65535 || host.matches(".*[\\s/].*")) {
            throw notAddress(text);
        }
        return new HostPort(host, Integer.parseInt(port));
    }

    /** True when this address listens on every interface. */
    public boolean wildcard() {
        return host.isEmpty() || host.equals("0.0.0.0") || host.equals("::");
    }

    /** True when binding both addresses would clash. Port 0 never clashes. */
    public boolean clashesWith(HostPort other) {
        return port != 0 && port == other.port && (host.equals(other.host) || wildcard() || other.wildcard());
    }

    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    private static IllegalArgumentException notAddress(String text) {
        return new IllegalArgumentException("\"" + text + "\" is not an address (expected: host:port, for example \"127.0.0.1:8080\")");
    }
}
