package io.outpost.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/**
 * Loopback ports for configurations a test writes before anything binds them. The kernel may hand
 * the same free port to two {@code bind(0)} calls in a row, and a test that asks for an entry point
 * port and an admin port would then configure one address twice; so no port is handed out twice in
 * one test run.
 */
public final class Ports {

    private static final Set<Integer> HANDED_OUT = new HashSet<>();

    private Ports() {
    }

    /** A loopback port free right now and not returned before by this method. */
    public static synchronized int free() {
        for (int attempt = 0; attempt < 100; attempt++) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                if (HANDED_OUT.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("no free loopback port", e);
            }
        }
        throw new IllegalStateException("100 free ports in a row were handed out before");
    }
}
