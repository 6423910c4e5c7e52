package io.outpost.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP upstream on loopback for integration tests (the JDK's HTTP server). By default it
 * echoes what it received: method, path, selected headers and the body length.
 */
public final class Backend implements AutoCloseable {

    private final HttpServer server;
    private final String name;
    private final AtomicInteger hits = new AtomicInteger();
    private final List<Map<String, List<String>>> requestHeaders = new CopyOnWriteArrayList<>();
    private final Map<String, HttpHandler> routes = new ConcurrentHashMap<>();

    private Backend(String name, int port) throws IOException {
        this.name = name;
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 128);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "backend-" + name);
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", this::handle);
        server.start();
    }

    public static Backend start(String name) throws IOException {
        return new Backend(name, 0);
    }

    /** Starts on a given port, for example to revive a backend that was closed. */
    public static Backend start(String name, int port) throws IOException {
        return new Backend(name, port);
    }

    /** Serves {@code path} (exact match) with {@code handler} instead of the echo. */
    public Backend on(String path, HttpHandler handler) {
        routes.put(path, handler);
        return this;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String url() {
        return "http://127.0.0.1:" + port();
    }

    public int hits() {
        return hits.get();
    }

    public List<Map<String, List<String>>> requestHeaders() {
        return requestHeaders;
    }

    private void handle(HttpExchange ex) throws IOException {
        hits.incrementAndGet();
        requestHeaders.add(Map.copyOf(ex.getRequestHeaders()));
        HttpHandler route = routes.get(ex.getRequestURI().getPath());
        if (route != null) {
            route.handle(ex);
            return;
        }
        long length = drain(ex.getRequestBody());
        String body = name + " " + ex.getRequestMethod() + " " + ex.getRequestURI() + " body=" + length + "\n";
        respond(ex, 200, body);
    }

    public static long drain(InputStream in) throws IOException {
        byte[] buf = new byte[65536];
        long total = 0;
        int n;
        while ((n = in.read(buf)) >= 0) {
            total += n;
        }
        return total;
    }

    public static void respond(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain");
        if (ex.getRequestMethod().equals("HEAD") || status == 204 || status == 304) {
            ex.sendResponseHeaders(status, -1);
        } else {
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
        ex.close();
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
