package io.outpost.replication;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.outpost.testing.Backend;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/**
 * A small stateful replica for tests, on loopback: it records every write it receives (per session, in
 * order of arrival, with the delivery headers) and keeps a state that drops duplicates by
 * {@code Idempotency-Key}, as a real service would. Reads ({@code GET /state}) answer how many writes
 * of the session ({@code X-Till}) it holds. It can refuse connections (closed listener), hang (accept,
 * never answer), refuse writes under a path prefix with a status (409 unless told), answer reads with
 * an error status, or delay one session's writes.
 */
final class ReplicaServer implements AutoCloseable {

    /** One received write. */
    record Received(String session, String key, String kind, String originalTime, String body, String path) {
    }

    private final String name;
    private final int port;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "replica");
        t.setDaemon(true);
        return t;
    });
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final Map<String, List<String>> state = new ConcurrentHashMap<>();
    private final Set<String> keys = ConcurrentHashMap.newKeySet();
    private final AtomicInteger concurrent = new AtomicInteger();
    private final AtomicInteger maxConcurrent = new AtomicInteger();
    private final CountDownLatch released = new CountDownLatch(1);
    private volatile HttpServer server;
    private volatile boolean hang;
    private volatile String slowSession;
    private volatile String rejectPrefix = "\0";
    private volatile int rejectStatus = 409;
    private volatile long slowMillis;
    private volatile int readStatus;
    private volatile String largePrefix = "\0";
    private volatile int largeBytes;

    /** Null for plain HTTP. */
    private final SSLContext ssl;

    private ReplicaServer(String name, int port, SSLContext ssl) throws IOException {
        this.name = name;
        this.ssl = ssl;
        this.server = bind(port);
        this.port = server.getAddress().getPort();
    }

    static ReplicaServer start(String name) throws IOException {
        return new ReplicaServer(name, 0, null);
    }

    /** A replica that speaks https, with the certificate of {@code ssl}. */
    static ReplicaServer startTls(String name, SSLContext ssl) throws IOException {
        return new ReplicaServer(name, 0, ssl);
    }

    private HttpServer bind(int p) throws IOException {
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", p);
        HttpServer s;
        if (ssl == null) {
            s = HttpServer.create(address, 256);
        } else {
            HttpsServer https = HttpsServer.create(address, 256);
            https.setHttpsConfigurator(new HttpsConfigurator(ssl));
            s = https;
        }
        s.setExecutor(executor);
        s.createContext("/", this::handle);
        s.start();
        return s;
    }

    String url() {
        return url("127.0.0.1");
    }

    /** The URL with {@code host} in place of the loopback address, for example a name that resolves to it. */
    String url(String host) {
        return (ssl == null ? "http://" : "https://") + host + ":" + port;
    }

    /** Closes the listener: connections are refused until {@link #up()}. */
    synchronized void down() {
        server.stop(0);
    }

    synchronized void up() throws IOException {
        server = bind(port);
    }

    /** Accepts connections but never answers, until closed. */
    void hang(boolean value) {
        hang = value;
    }

    /** Delays every write of {@code session} by {@code millis} before answering. */
    void slow(String session, long millis) {
        slowMillis = millis;
        slowSession = session;
    }

    /** Answers 409 to writes whose path starts with {@code prefix}, and does not apply them. */
    void reject(String prefix) {
        reject(prefix, 409);
    }

    /** Answers {@code status} to writes whose path starts with {@code prefix}, and does not apply them. */
    void reject(String prefix, int status) {
        rejectStatus = status;
        rejectPrefix = prefix;
    }

    /** Answers reads with {@code status} (0: answers them again), as a replica that is overloaded or broken would. */
    void failReads(int status) {
        readStatus = status;
    }

    /** Answers writes under a path prefix (after applying them as usual) with a body of {@code bytes} bytes. */
    void answerLarge(String prefix, int bytes) {
        largeBytes = bytes;
        largePrefix = prefix;
    }

    /** Applies every write again. */
    void acceptAll() {
        rejectPrefix = "\0";
    }

    /** Writes being processed right now. */
    int inProgress() {
        return concurrent.get();
    }

    List<Received> received() {
        return List.copyOf(received);
    }

    /** The writes of a session as received (duplicates included), by body. */
    List<String> receivedBodies(String session) {
        List<String> out = new ArrayList<>();
        for (Received r : received) {
            if (r.session().equals(session)) {
                out.add(r.body());
            }
        }
        return out;
    }

    /** The state: per session, the bodies of distinct writes in the order applied. */
    Map<String, List<String>> state() {
        Map<String, List<String>> copy = new LinkedHashMap<>();
        state.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        return copy;
    }

    int maxConcurrentWrites() {
        return maxConcurrent.get();
    }

    private void handle(HttpExchange ex) throws IOException {
        String session = String.valueOf(ex.getRequestHeaders().getFirst("X-Till"));
        if (ex.getRequestMethod().equals("GET")) {
            Backend.drain(ex.getRequestBody());
            if (ex.getRequestURI().getPath().equals("/health")) {
                respond(ex, 200, "ok");
                return;
            }
            if (hang) {
                awaitRelease();
                return;
            }
            ex.getResponseHeaders().set("X-Replica", name);
            int failure = readStatus;
            if (failure != 0) {
                respond(ex, failure, name + " answers " + failure);
                return;
            }
            respond(ex, 200, String.valueOf(state.getOrDefault(session, List.of()).size()));
            return;
        }
        String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        if (hang) {
            awaitRelease();
            return;
        }
        int now = concurrent.incrementAndGet();
        maxConcurrent.accumulateAndGet(now, Math::max);
        try {
            if (session.equals(slowSession)) {
                Thread.sleep(slowMillis); // the replica is slow, not the test
            }
            String key = ex.getRequestHeaders().getFirst("Idempotency-Key");
            received.add(new Received(session, key, ex.getRequestHeaders().getFirst("X-Outpost-Delivery"),
                    ex.getRequestHeaders().getFirst("X-Original-Time"), body, ex.getRequestURI().getPath()));
            boolean conflict = ex.getRequestURI().getPath().startsWith(rejectPrefix);
            if (!conflict && keys.add(key)) {
                state.computeIfAbsent(session, s -> new CopyOnWriteArrayList<>()).add(body);
            }
            ex.getResponseHeaders().set("X-Replica", name);
            if (!conflict && ex.getRequestURI().getPath().startsWith(largePrefix)) {
                respond(ex, 201, "x".repeat(largeBytes));
                return;
            }
            respond(ex, conflict ? rejectStatus : 201, "{\"replica\":\"" + name + "\",\"body\":\"" + body + "\"}");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            concurrent.decrementAndGet();
        }
    }

    private void awaitRelease() {
        try {
            released.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void respond(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        released.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
