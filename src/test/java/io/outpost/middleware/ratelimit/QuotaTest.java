package io.outpost.middleware.ratelimit;

import io.outpost.testing.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.config.MiddlewareConfig;
import io.outpost.config.RequestKey;
import io.outpost.middleware.auth.SecurityFixture;
import io.outpost.testing.RawHttp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuotaTest {

    private static final long DAY = Duration.ofHours(24).toMillis();

    @TempDir
    Path dir;
    private final MutableClock clock = new MutableClock(Instant.parse("2025-03-01T23:59:00Z"));

    private static MiddlewareConfig.Quota quota(long limit) {
        return new MiddlewareConfig.Quota(limit, Duration.ofHours(24), RequestKey.CONSUMER, 100);
    }

    @Test
    void countsSurviveACloseAndReopen() throws Exception {
        long window = Math.floorDiv(clock.millis(), DAY) * DAY;
        try (QuotaStore store = QuotaStore.open(dir, Duration.ofHours(1))) { // no timed flush: only close saves
            QuotaTable table = store.table("daily", 100);
            assertThat(table.tryAcquire("pos", window, 3)).isEqualTo(2);
            assertThat(table.tryAcquire("pos", window, 3)).isEqualTo(1);
            assertThat(table.tryAcquire("web", window, 3)).isEqualTo(2);
        }
        assertThat(Files.exists(dir.resolve("daily.quota"))).isTrue();
        try (QuotaStore store = QuotaStore.open(dir, Duration.ofHours(1))) {
            QuotaTable table = store.table("daily", 100);
            assertThat(table.tryAcquire("pos", window, 3)).isEqualTo(0);
            assertThat(table.tryAcquire("pos", window, 3)).isEqualTo(QuotaTable.EXHAUSTED);
            assertThat(table.tryAcquire("web", window, 3)).isEqualTo(1);
            assertThat(table.tryAcquire("pos", window + DAY, 3)).isEqualTo(2); // the next window starts afresh
        }
    }

    @Test
    void theWriterFlushesWithoutAClose() throws Exception {
        QuotaStore store = QuotaStore.open(dir, Duration.ofMillis(20));
        try {
            store.table("q", 10).tryAcquire("pos", 0, 5);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(dir.resolve("q.quota")));
        } finally {
            store.close();
        }
        try (QuotaStore again = QuotaStore.open(dir, Duration.ofHours(1))) {
            assertThat(again.table("q", 10).tryAcquire("pos", 0, 5)).isEqualTo(3);
        }
    }

    @Test
    void aFullTableRefusesNewKeysRatherThanForgettingLiveOnes() throws Exception {
        try (QuotaStore store = QuotaStore.open(dir, Duration.ofHours(1))) {
            QuotaTable table = store.table("small", 2);
            assertThat(table.tryAcquire("a", 0, 5)).isEqualTo(4);
            assertThat(table.tryAcquire("b", 0, 5)).isEqualTo(4);
            assertThat(table.tryAcquire("c", 0, 5)).isEqualTo(QuotaTable.FULL);
            assertThat(table.tryAcquire("a", 0, 5)).isEqualTo(3);
            // In the next window the old keys are dropped to make room.
            assertThat(table.tryAcquire("c", DAY, 5)).isEqualTo(4);
            assertThat(table.size()).isEqualTo(1);
        }
    }

    @Test
    void exhaustedQuotaIs429UntilTheWindowEndsAndPersistsAcrossARestart() throws Exception {
        try (QuotaStore store = QuotaStore.open(dir, Duration.ofHours(1));
                SecurityFixture f = SecurityFixture.start(SecurityFixture.apiKey(false),
                        new QuotaMiddleware("daily", quota(2), store, clock))) {
            assertThat(f.get("/", "X-API-Key: pos-secret-key").status()).isEqualTo(200);
            assertThat(f.get("/", "X-API-Key: pos-secret-key").status()).isEqualTo(200);
            RawHttp.Response r = f.get("/", "X-API-Key: pos-secret-key");
            assertThat(r.status()).isEqualTo(429);
            assertThat(r.header("retry-after")).isEqualTo("60"); // the window ends at midnight UTC
            assertThat(r.body()).contains("quota exhausted");
            assertThat(f.get("/", "X-API-Key: bo-secret-key").status()).isEqualTo(200);
        }
        try (QuotaStore store = QuotaStore.open(dir, Duration.ofHours(1));
                SecurityFixture f = SecurityFixture.start(SecurityFixture.apiKey(false),
                        new QuotaMiddleware("daily", quota(2), store, clock))) {
            assertThat(f.get("/", "X-API-Key: pos-secret-key").status()).isEqualTo(429);
            clock.advance(Duration.ofMinutes(1));
            assertThat(f.get("/", "X-API-Key: pos-secret-key").status()).isEqualTo(200);
        }
    }

    @Test
    void aRequestWithoutAConsumerIs401() throws Exception {
        try (QuotaStore store = QuotaStore.open(dir, Duration.ofHours(1));
                SecurityFixture f = SecurityFixture.start(new QuotaMiddleware("daily", quota(2), store, clock))) {
            assertThat(f.get("/").status()).isEqualTo(401);
            assertThat(f.backend.hits()).isZero();
        }
    }

    @Test
    void aCorruptFileStartsFromZeroInsteadOfFailing() throws Exception {
        Files.writeString(dir.resolve("daily.quota"), "garbage");
        try (QuotaStore store = QuotaStore.open(dir, Duration.ofHours(1))) {
            assertThat(store.table("daily", 10).tryAcquire("pos", 0, 2)).isEqualTo(1);
        }
    }
}
