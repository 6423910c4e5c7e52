package io.outpost.demo;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The point-of-sale service's own store: an append-only file of JSON lines, one per sale, each
 * fsync'ed before the sale is acknowledged, and an in-memory index rebuilt from the file on open.
 * A torn last line (a crash mid-write) is cut off on open; any other bad line stops the open with
 * its path and line number, because silently dropping a sale is what the demo exists to rule out.
 */
final class SaleStore implements AutoCloseable {

    static final String FILE = "sales.jsonl";
    private static final Logger log = LoggerFactory.getLogger(SaleStore.class);

    /** What {@link #record} did. */
    sealed interface Outcome {
        Sale sale();

        /** Stored now. */
        record Created(Sale sale) implements Outcome { }

        /** The idempotency key was seen before with the same order: the original sale, not stored again. */
        record Replayed(Sale sale) implements Outcome { }

        /** The idempotency key was seen before with a different order; nothing stored. */
        record Conflict(Sale sale) implements Outcome { }
    }

    private final Path file;
    private final Clock clock;
    private final FileChannel channel;
    private final List<Sale> sales = new ArrayList<>();
    private final Map<String, Sale> byKey = new HashMap<>();

    private SaleStore(Path file, Clock clock, FileChannel channel) {
        this.file = file;
        this.clock = clock;
        this.channel = channel;
    }

    /** Opens (creating when needed) the store in {@code dir} and loads every sale in it. */
    static SaleStore open(Path dir, Clock clock) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(FILE);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        SaleStore store = new SaleStore(file, clock, channel);
        try {
            store.load();
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        return store;
    }

    private void load() throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        int start = 0;
        int line = 0;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] != '\n') {
                continue;
            }
            line++;
            String text = new String(bytes, start, i - start, StandardCharsets.UTF_8);
            Sale sale;
            try {
                sale = Http.JSON.readValue(text, Sale.class);
            } catch (JsonProcessingException e) {
                throw new IOException(file + ":" + line + ": not a sale: " + e.getOriginalMessage(), e);
            }
            if (sale == null || sale.item() == null) {
                throw new IOException(file + ":" + line + ": not a sale: " + text);
            }
            index(sale);
            start = i + 1;
        }
        if (start < bytes.length) {
            log.warn("{}: cutting off a torn last line ({} bytes) left by an interrupted write", file, bytes.length - start);
            channel.truncate(start);
            channel.force(true);
        }
        channel.position(start);
    }

    private void index(Sale sale) {
        sales.add(sale);
        if (sale.idempotencyKey() != null) {
            byKey.putIfAbsent(sale.idempotencyKey(), sale);
        }
    }

    /**
     * Records a sale unless {@code idempotencyKey} (may be null) was seen before; durable on return.
     * Serialised, so that two deliveries of one key at the same time still store it once.
     */
    synchronized Outcome record(String till, String item, int qty, String idempotencyKey, String originalTime,
                                String delivery) throws IOException {
        if (idempotencyKey != null) {
            Sale seen = byKey.get(idempotencyKey);
            if (seen != null) {
                return seen.sameOrder(till, item, qty) ? new Outcome.Replayed(seen) : new Outcome.Conflict(seen);
            }
        }
        long id = sales.isEmpty() ? 1 : sales.get(sales.size() - 1).id() + 1;
        Sale sale = new Sale(id, till, item, qty, idempotencyKey, originalTime, delivery, clock.instant().toString());
        ByteBuffer line = ByteBuffer.wrap((Http.JSON.writeValueAsString(sale) + "\n").getBytes(StandardCharsets.UTF_8));
        long end = channel.position();
        try {
            while (line.hasRemaining()) {
                channel.write(line);
            }
            channel.force(false);
        } catch (IOException e) {
            channel.truncate(end); // so that the next sale does not land on a half-written line
            channel.position(end);
            throw e;
        }
        index(sale);
        return new Outcome.Created(sale);
    }

    /** Every sale in the order it was stored. */
    synchronized List<Sale> sales() {
        return List.copyOf(sales);
    }

    Path file() {
        return file;
    }

    @Override
    public synchronized void close() throws IOException {
        channel.close();
    }
}
