package io.outpost.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sample point-of-sale service with real state: the stateful upstream that {@code outpost demo}
 * replicates. It knows nothing about the gateway beyond the headers every delivery carries, and
 * honours {@code Idempotency-Key} the way DESIGN.md (G4) asks a service to.
 *
 * <ul>
 *   <li>{@code POST /pos/sales} with {@code {"item":"apple","qty":2}}: 201 and the sale; a key seen
 *       before answers the original sale (201 again, {@code Idempotent-Replayed: true}) and stores
 *       nothing; the same key with a different order is 422.</li>
 *   <li>{@code GET /pos/sales}: {@code {"instance":..,"sales":[..]}}, only the till's with {@code X-Till}.</li>
 *   <li>{@code GET /pos/summary}: per till, the count and a digest of its idempotency keys in order,
 *       so two replicas can be compared at a glance.</li>
 *   <li>{@code GET /health}: 200.</li>
 * </ul>
 *
 * <pre>{@code
 * try (PosService edge = PosService.start("edge", new InetSocketAddress("127.0.0.1", 9102), Path.of("data/edge"))) { ... }
 * }</pre>
 */
public final class PosService implements AutoCloseable {

    static final String TILL = "X-Till";
    static final int MAX_BODY = 16 * 1024;
    private static final Logger log = LoggerFactory.getLogger(PosService.class);

    private final String name;
    private final SaleStore store;
    private final HttpServer server;

    private PosService(String name, SaleStore store, HttpServer server) {
        this.name = name;
        this.store = store;
        this.server = server;
    }

    /** Loads the sales under {@code dataDir} and serves them on {@code address} (port 0: any free port). */
    public static PosService start(String name, InetSocketAddress address, Path dataDir) throws IOException {
        return start(name, address, dataDir, Clock.systemUTC());
    }

    public static PosService start(String name, InetSocketAddress address, Path dataDir, Clock clock)
            throws IOException {
        SaleStore store = SaleStore.open(dataDir, clock);
        HttpServer server;
        try {
            server = Http.server("pos-" + name, address, 4);
        } catch (IOException e) {
            store.close();
            throw new IOException(name + ": cannot listen on " + address + ": " + e.getMessage(), e);
        }
        PosService service = new PosService(name, store, server);
        server.createContext("/pos/sales", ex -> service.serve(ex, service::sales));
        server.createContext("/pos/summary", ex -> service.serve(ex, service::summary));
        server.createContext("/health", ex -> service.serve(ex, e -> Http.json(e, 200, Map.of("status", "ok"))));
        server.createContext("/", ex -> service.serve(ex, e -> Http.error(e, 404, "no such resource")));
        server.start();
        log.info("{}: serving {} sales from {} on {}", name, store.sales().size(), store.file(), service.address());
        return service;
    }

    public String name() {
        return name;
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** Every sale this instance holds, in the order it stored them. */
    public List<Sale> sales() {
        return store.sales();
    }

    private interface Handler {
        void handle(HttpExchange ex) throws IOException;
    }

    private void serve(HttpExchange ex, Handler handler) throws IOException {
        try {
            String path = ex.getRequestURI().getPath();
            if (!path.equals(ex.getHttpContext().getPath()) && !ex.getHttpContext().getPath().equals("/")) {
                Http.error(ex, 404, "no such resource");
                return;
            }
            handler.handle(ex);
        } catch (IOException | RuntimeException e) {
            log.warn("{}: {} {} failed: {}", name, ex.getRequestMethod(), ex.getRequestURI(), e.toString());
            throw e;
        } finally {
            ex.close();
        }
    }

    private void sales(HttpExchange ex) throws IOException {
        switch (ex.getRequestMethod()) {
            case "POST" -> record(ex);
            case "GET" -> {
                String till = ex.getRequestHeaders().getFirst(TILL);
                List<Sale> sales = store.sales().stream().filter(s -> till == null || till.equals(s.till())).toList();
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("instance", name);
                body.put("count", sales.size());
                body.put("sales", sales);
                Http.json(ex, 200, body);
            }
            default -> {
                ex.getResponseHeaders().set("Allow", "GET, POST");
                Http.error(ex, 405, ex.getRequestMethod() + " (expected: GET or POST)");
            }
        }
    }

    private void record(HttpExchange ex) throws IOException {
        byte[] bytes = Http.body(ex, MAX_BODY);
        if (bytes == null) {
            Http.error(ex, 413, "body larger than " + MAX_BODY + " bytes");
            return;
        }
        JsonNode order;
        try {
            order = Http.JSON.readTree(bytes);
        } catch (IOException e) {
            Http.error(ex, 400, "body is not JSON (expected: {\"item\":\"apple\",\"qty\":2})");
            return;
        }
        JsonNode item = order == null ? null : order.get("item");
        JsonNode qty = order == null ? null : order.get("qty");
        if (item == null || !item.isTextual() || item.asText().isBlank()) {
            Http.error(ex, 400, "item: missing or blank (expected: a non-empty string)");
            return;
        }
        if (qty == null || !qty.canConvertToInt() || !qty.isIntegralNumber() || qty.intValue() <= 0) {
            Http.error(ex, 400, "qty: " + qty + " (expected: an integer > 0)");
            return;
        }
        var headers = ex.getRequestHeaders();
        SaleStore.Outcome outcome = store.record(headers.getFirst(TILL), item.asText(), qty.intValue(),
                headers.getFirst("Idempotency-Key"), headers.getFirst("X-Original-Time"),
                headers.getFirst("X-Outpost-Delivery"));
        Sale sale = outcome.sale();
        if (outcome instanceof SaleStore.Outcome.Created) {
            log.info("{}: sale #{} till={} {} x{} [{}]", name, sale.id(), sale.till(), sale.item(), sale.qty(),
                    sale.delivery() == null ? "direct" : sale.delivery());
            Http.json(ex, 201, sale);
        } else if (outcome instanceof SaleStore.Outcome.Replayed) {
            ex.getResponseHeaders().set("Idempotent-Replayed", "true");
            Http.json(ex, 201, sale);
        } else {
            Http.error(ex, 422, "Idempotency-Key was used for a different sale (#" + sale.id() + ")");
        }
    }

    private void summary(HttpExchange ex) throws IOException {
        Map<String, List<Sale>> byTill = new LinkedHashMap<>();
        for (Sale sale : store.sales()) {
            byTill.computeIfAbsent(String.valueOf(sale.till()), t -> new java.util.ArrayList<>()).add(sale);
        }
        Map<String, Object> tills = new LinkedHashMap<>();
        byTill.forEach((till, sales) -> tills.put(till, Map.of("sales", sales.size(), "digest", digest(sales))));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("instance", name);
        body.put("sales", store.sales().size());
        body.put("tills", tills);
        Http.json(ex, 200, body);
    }

    /** A short hash of the sales in order (key, item, qty): equal on two replicas that hold the same writes in the same order. */
    static String digest(List<Sale> sales) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Sale s : sales) {
                sha.update((s.idempotencyKey() + "|" + s.item() + "|" + s.qty() + "\n").getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(sha.digest()).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    @Override
    public void close() throws IOException {
        Http.stop(server);
        store.close();
        log.info("{}: stopped", name);
    }
}
