package io.outpost.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
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
    private static final int CONNECT_TIMEOUT_MS = 2_000;

    private final InetSocketAddress target;
    private final ExecutorService pumps = Executors.newCachedThreadPool(Http.daemon("link"));
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final HttpServer control;
    private InetSocketAddress listen;
    private ServerSocket acceptor;
    private boolean closed;

    private Link(InetSocketAddress listen, InetSocketAddress target, HttpServer control) {
        this.listen = listen;
        this.target = target;
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
        return acceptor != null;
    }

    public int openConnections() {
        return connections.size();
    }

    /** Restores the link: listens again on the same address. Does nothing when it is up. */
    public synchronized void up() throws IOException {
        if (acceptor != null || closed) {
            return;
        }
        ServerSocket socket = new ServerSocket();
        socket.setReuseAddress(true);
        socket.bind(listen, 128);
        listen = new InetSocketAddress(listen.getAddress(), socket.getLocalPort());
        acceptor = socket;
        Thread t = new Thread(() -> accept(socket), "link-accept");
        t.setDaemon(true);
        t.start();
        log.info("link {} -> {}: UP", listen, target);
    }

    /** Cuts the link: stops listening and resets every open connection. Returns how many were reset. */
    public int down() {
        List<Connection> open;
        synchronized (this) {
            if (acceptor == null) {
                return 0;
            }
            closeQuietly(acceptor);
            acceptor = null;
            open = new ArrayList<>(connections);
        }
        open.forEach(Connection::reset);
        log.info("link {} -> {}: DOWN ({} connections reset)", address(), target, open.size());
        return open.size();
    }

    private void accept(ServerSocket socket) {
        while (true) {
            Socket client;
            try {
                client = socket.accept();
            } catch (IOException e) {
                return; // closed by down() or close()
            }
            pumps.execute(() -> open(client));
        }
    }

    private void open(Socket client) {
        Socket upstream = new Socket();
        try {
            upstream.connect(target, CONNECT_TIMEOUT_MS);
        } catch (IOException e) {
            log.debug("link: cannot reach {}: {}", target, e.toString());
            reset(client);
            closeQuietly(upstream);
            return;
        }
        Connection connection = new Connection(client, upstream);
        synchronized (this) {
            if (acceptor == null) {
                connection.reset();
                return;
            }
            connections.add(connection);
        }
        pumps.execute(() -> connection.pump(client, upstream));
        pumps.execute(() -> connection.pump(upstream, client));
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
        down();
        Http.stop(control);
        pumps.shutdownNow();
    }

    private static String hostPort(InetSocketAddress a) {
        return (a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress()) + ":" + a.getPort();
    }

    /** Closes with RST rather than FIN, which is what a peer sees when a link dies under a connection. */
    private static void reset(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        } catch (SocketException e) {
            // already closed: nothing to reset
        }
        closeQuietly(socket);
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // closing is best effort; the socket is unusable either way
        }
    }

    /** A relayed connection: two pumps, done when both directions have ended. */
    private final class Connection {
        private final Socket client;
        private final Socket upstream;
        private final AtomicInteger ended = new AtomicInteger();

        Connection(Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
        }

        void pump(Socket from, Socket to) {
            byte[] buf = new byte[16 * 1024];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                for (int n; (n = in.read(buf)) >= 0; ) {
                    out.write(buf, 0, n);
                }
                to.shutdownOutput();
            } catch (IOException e) {
                reset();
                return;
            }
            if (ended.incrementAndGet() == 2) {
                connections.remove(this);
                closeQuietly(client);
                closeQuietly(upstream);
            }
        }

        void reset() {
            connections.remove(this);
            Link.reset(client);
            Link.reset(upstream);
        }
    }
}
