package io.outpost.demo;

/**
 * The ports the demo uses, all on 127.0.0.1. Port 0 means any free port (for tests); {@link Demo}
 * reports the ones it actually bound.
 *
 * @param gateway the entry point that clients (the tills) use
 * @param admin   the admin API and metrics
 * @param link    the link simulator, which the gateway sees as the cloud replica
 * @param cloud   the cloud replica itself
 * @param edge    the edge replica
 * @param control the link simulator's control API
 */
public record DemoPorts(int gateway, int admin, int link, int cloud, int edge, int control) {

    public static final int DEFAULT_GATEWAY = 8080;
    public static final int DEFAULT_BASE = 9100;

    public DemoPorts {
        check("gateway", gateway);
        check("admin", admin);
        check("link", link);
        check("cloud", cloud);
        check("edge", edge);
        check("control", control);
    }

    /** 8080, 8081 and 9100 (link), 9101 (cloud), 9102 (edge), 9109 (link control). */
    public static DemoPorts defaults() {
        return of(DEFAULT_GATEWAY, DEFAULT_BASE);
    }

    /** The gateway on {@code gateway} and the admin API on the next port; the rest from {@code base}, as in {@link #defaults()}. */
    public static DemoPorts of(int gateway, int base) {
        if (gateway < 1 || gateway > 65534) {
            throw new IllegalArgumentException("gateway port: " + gateway + " (expected: 1-65534)");
        }
        if (base < 1 || base > 65526) {
            throw new IllegalArgumentException("port base: " + base + " (expected: 1-65526)");
        }
        return new DemoPorts(gateway, gateway + 1, base, base + 1, base + 2, base + 9);
    }

    private static void check(String name, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(name + " port: " + port + " (expected: 0-65535)");
        }
    }
}
