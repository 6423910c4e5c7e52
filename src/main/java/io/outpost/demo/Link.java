package io.outpost.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A simulated WAN link: a TCP relay on loopback between the gateway and the cloud replica that can
 * be cut and restored. Cutting it is what a real outage looks like to the gateway, which pausing a
 * replica in the admin API is not: it stops listening, so new connections are refused, and resets
 * every open one, so requests in flight fail with a reset.
 *
 * <p>Controlled over HTTP on its own port: {@code POST /link/down}, {@code POST /link/up},
 * {@code GET /link}.
 *
 * <pre>{@code
 * try (Link link = Link.start(listen, cloud.address(), control)) {
 *     link.down();   // or: curl -X POST http://127.0.0.1:9109/link/down
 * }
 * }</pre>
 */
public final class Link implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Link.class);

    private final InetSocketAddress target;
    private final Relay relay;
    private final HttpServer control;
    private InetSocketAddress listen;
    private boolean closed;

    private Link(InetSocketAddress listen, InetSocketAddress target, HttpServer control) {
        this.listen = listen;
        this.target = target;
        this.relay = new Relay(target);
        this.control = control;
    }

    /** Listens on {@code listen} (port 0: any), relays to {@code target}, and serves its control API on {@code control}. */
    public static Link start(InetSocketAddress listen, InetSocketAddress target, InetSocketAddress control)
            throws IOException {
        HttpServer server;
        try {
            server = Http.server("link-control", control, 1);
        } catch (IOException e) {
            throw new IOException("link control: cannot listen on " + control + ": " + e.getMessage(), e);
        }
        Link link = new Link(listen, target, server);
        server.createContext("/link", link::control);
        server.start();
        try {
            link.up();
        } catch (IOException e) {
            link.close();
            throw new IOException("link: cannot listen on " + listen + ": " + e.getMessage(), e);
        }
        return link;
    }

    /** Where the gateway connects to reach the target. */
    public synchronized InetSocketAddress address() {
        return listen;
    }

    public InetSocketAddress target() {
        return target;
    }

    public InetSocketAddress controlAddress() {
        return control.getAddress();
    }

    public synchronized boolean isUp() {
        return relay.listening();
    }

    public int openConnections() {
        return relay.connections();
    }

    /** Restores the link: listens again on the same address. Does nothing when it is up. */
    public synchronized void up() throws IOException {
        if (relay.listening() || closed) {
            return;
        }
        try {
            listen = relay.listen(listen);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while binding " + listen);
        }
        log.info("link {} -> {}: UP", listen, target);
    }

    /** Cuts the link: stops listening and resets every open connection. Returns how many were reset. */
    public synchronized int down() {
        if (!relay.listening()) {
            return 0;
        }
        int reset = relay.cut();
        log.info("link {} -> {}: DOWN ({} connections reset)", listen, target, reset);
        return reset;
    }

    private void control(HttpExchange ex) throws IOException {
        try {
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            Map<String, Object> body = new LinkedHashMap<>();
            if (path.equals("/link/down") && method.equals("POST")) {
                body.put("reset", down());
            } else if (path.equals("/link/up") && method.equals("POST")) {
                up();
            } else if (path.matches("/link/(down|up)")) {
                ex.getResponseHeaders().set("Allow", "POST");
                Http.error(ex, 405, method + " " + path + " (expected: POST)");
                return;
            } else if (!path.equals("/link") || !method.equals("GET")) {
                Http.error(ex, 404, "expected: GET /link, POST /link/down or POST /link/up");
                return;
            }
            body.put("state", isUp() ? "up" : "down");
            body.put("listen", hostPort(address()));
            body.put("target", hostPort(target));
            body.put("connections", openConnections());
            Http.json(ex, 200, body);
        } finally {
            ex.close();
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        Http.stop(control);
        relay.close();
    }

    private static String hostPort(InetSocketAddress a) {
        return (a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress()) + ":" + a.getPort();
    }
}
