package io.outpost.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The point-of-sale store: durable lines, reload, idempotency, and one record per key under contention. */
class SaleStoreTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2024-05-01T10:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    @Test
    void salesSurviveARestartAndNumberingContinues() throws IOException {
        try (SaleStore store = SaleStore.open(dir, CLOCK)) {
            store.record("till-1", "apple", 2, "k1", "2024-05-01T09:59:59.123Z", "live");
            store.record("till-2", "pear", 1, "k2", null, "replay");
        }
        try (SaleStore store = SaleStore.open(dir, CLOCK)) {
            assertThat(store.sales()).containsExactly(
                    new Sale(1, "till-1", "apple", 2, "k1", "2024-05-01T09:59:59.123Z", "live", "2024-05-01T10:00:00Z"),
                    new Sale(2, "till-2", "pear", 1, "k2", null, "replay", "2024-05-01T10:00:00Z"));
            assertThat(store.record("till-1", "milk", 3, "k3", null, null).sale().id()).isEqualTo(3);
            // A key stored before the restart is still known after it.
            assertThat(store.record("till-1", "apple", 2, "k1", null, "replay"))
                    .isInstanceOf(SaleStore.Outcome.Replayed.class);
        }
        assertThat(Files.readAllLines(dir.resolve(SaleStore.FILE))).hasSize(3);
    }

    @Test
    void aSeenKeyAnswersTheOriginalAndADifferentOrderUnderItIsAConflict() throws IOException {
        try (SaleStore store = SaleStore.open(dir, CLOCK)) {
            Sale original = store.record("till-1", "apple", 2, "k1", null, "live").sale();
            SaleStore.Outcome again = store.record("till-1", "apple", 2, "k1", null, "shadow");
            SaleStore.Outcome other = store.record("till-1", "apple", 5, "k1", null, "live");
            assertThat(again).isEqualTo(new SaleStore.Outcome.Replayed(original));
            assertThat(other).isEqualTo(new SaleStore.Outcome.Conflict(original));
            // Without a key nothing can be recognised: each post is a sale.
            store.record("till-1", "apple", 2, null, null, null);
            store.record("till-1", "apple", 2, null, null, null);
            assertThat(store.sales()).hasSize(3);
        }
    }

    @Test
    void aTornLastLineIsCutOffAndTheNextSaleLandsOnItsOwnLine() throws IOException {
        try (SaleStore store = SaleStore.open(dir, CLOCK)) {
            store.record("till-1", "apple", 2, "k1", null, null);
        }
        Files.writeString(dir.resolve(SaleStore.FILE), "{\"id\":2,\"till\":\"till-1\",\"it", StandardOpenOption.APPEND);
        try (SaleStore store = SaleStore.open(dir, CLOCK)) {
            assertThat(store.sales()).extracting(Sale::idempotencyKey).containsExactly("k1");
            store.record("till-1", "pear", 1, "k2", null, null);
        }
        try (SaleStore store = SaleStore.open(dir, CLOCK)) {
            assertThat(store.sales()).extracting(Sale::idempotencyKey).containsExactly("k1", "k2");
        }
    }

    @Test
    void aCorruptLineStopsTheOpenNamingFileAndLine() throws IOException {
        Path file = dir.resolve(SaleStore.FILE);
        Files.writeString(file, "{\"id\":1,\"item\":\"apple\",\"qty\":1}\nnot json\n", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> SaleStore.open(dir, CLOCK))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith(file + ":2: not a sale");
    }

    @Test
    void concurrentDeliveriesOfTheSameKeysStoreEachOnce() throws Exception {
        int keys = 50;
        int copies = 4;
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try (SaleStore store = SaleStore.open(dir, CLOCK)) {
            List<Callable<SaleStore.Outcome>> tasks = new ArrayList<>();
            for (int c = 0; c < copies; c++) {
                for (int k = 0; k < keys; k++) {
                    String key = "k" + k;
                    tasks.add(() -> store.record("till-" + (key.hashCode() % 3), "item", 1, key, null, "shadow"));
                }
            }
            List<Future<SaleStore.Outcome>> results = pool.invokeAll(tasks);
            long created = 0;
            for (Future<SaleStore.Outcome> r : results) {
                created += r.get() instanceof SaleStore.Outcome.Created ? 1 : 0;
            }
            assertThat(created).isEqualTo(keys);
            assertThat(store.sales()).hasSize(keys);
            assertThat(store.sales()).extracting(Sale::id).doesNotHaveDuplicates();
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
        try (SaleStore reopened = SaleStore.open(dir, CLOCK)) {
            assertThat(reopened.sales()).hasSize(keys);
            assertThat(reopened.sales()).extracting(Sale::idempotencyKey).doesNotHaveDuplicates();
        }
    }
}
