package io.outpost.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Loopback ports for configurations a test writes before anything binds them.
 *
 * <p>A port handed out here is free, but nothing holds it until the test binds it. Meanwhile a
 * server bound to port 0 (an upstream, a demo service) could be given the same port by the kernel,
 * and the test's own bind would then fail. So ports come from below the kernel's ephemeral range
 * ({@code net.ipv4.ip_local_port_range}), which port 0 never draws from. No port is handed out twice
 * in one test run.
 */
public final class Ports {

    private static final Set<Integer> HANDED_OUT = new HashSet<>();
    private static final int LOWEST = 10_000;

    private Ports() {
    }

    /** A loopback port free right now, outside the ephemeral range, and not returned before by this method. */
    public static synchronized int free() {
        int below = Math.max(ephemeralStart(), LOWEST + 1_000);
        int span = below - LOWEST;
        int start = ThreadLocalRandom.current().nextInt(span);
        for (int i = 0; i < span; i++) {
            int port = LOWEST + (start + i) % span;
            if (!HANDED_OUT.contains(port) && bindable(port)) {
                HANDED_OUT.add(port);
                return port;
            }
        }
        throw new IllegalStateException("no free loopback port in " + LOWEST + "-" + (below - 1));
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The first port of the kernel's ephemeral range; Linux's default when it cannot be read. */
    private static int ephemeralStart() {
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
            return Integer.parseInt(range.split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }
}
