package io.outpost.demo;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** The little the demo's JDK HTTP servers share: JSON, bounded bodies and daemon threads. */
final class Http {

    static final ObjectMapper JSON = new ObjectMapper().setSerializationInclusion(JsonInclude.Include.NON_NULL);

    private Http() {
    }

    /** A JDK server on {@code address} whose handlers run on {@code threads} daemon threads named after {@code name}. */
    static HttpServer server(String name, InetSocketAddress address, int threads) throws IOException {
        HttpServer server = HttpServer.create(address, 128);
        server.setExecutor(Executors.newFixedThreadPool(threads, daemon(name)));
        return server;
    }

    /** Stops {@code server} at once and its executor with it. */
    static void stop(HttpServer server) {
        server.stop(0);
        if (server.getExecutor() instanceof ExecutorService executor) {
            executor.shutdownNow();
        }
    }

    static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** The request body, or {@code null} when it is longer than {@code max} bytes. */
    static byte[] body(HttpExchange ex, int max) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try (InputStream in = ex.getRequestBody()) {
            for (int n; (n = in.read(buf)) >= 0; ) {
                if (out.size() + n > max) {
                    return null;
                }
                out.write(buf, 0, n);
            }
        }
        return out.toByteArray();
    }

    static void json(HttpExchange ex, int status, Object value) throws IOException {
        send(ex, status, JSON.writeValueAsBytes(value), "application/json");
    }

    static void error(HttpExchange ex, int status, String message) throws IOException {
        json(ex, status, Map.of("error", message));
    }

    static void send(HttpExchange ex, int status, byte[] body, String contentType) throws IOException {
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }
}
