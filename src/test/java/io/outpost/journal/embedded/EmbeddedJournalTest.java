package io.outpost.journal.embedded;

import io.outpost.testing.MutableClock;

import static io.outpost.journal.embedded.Drafts.draft;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.journal.DuplicateIdempotencyKeyException;
import io.outpost.journal.Entry;
import io.outpost.journal.EntryDraft;
import io.outpost.journal.Header;
import io.outpost.journal.JournalException;
import io.outpost.journal.Outcome;
import io.outpost.journal.StoredResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedJournalTest {

    @TempDir
    Path dir;

    final MutableClock clock = new MutableClock(Instant.parse("2025-01-01T10:00:00Z"));
    EmbeddedJournal journal;

    EmbeddedJournal open() {
        return open(64L * 1024 * 1024);
    }

    EmbeddedJournal open(long segmentBytes) {
        journal = EmbeddedJournal.open(JournalOptions.builder(dir.resolve("pos")).replicas("cloud", "edge")
                .clock(clock).segmentBytes(segmentBytes).retention(Duration.ofMinutes(10)).build());
        return journal;
    }

    EmbeddedJournal reopen() {
        journal.close();
        return open();
    }

    @AfterEach
    void close() {
        if (journal != null) {
            journal.close();
        }
    }

    Entry append(String session, String key) {
        return journal.append(draft(session, key)).join();
    }

    void commit(Entry e) {
        journal.commit(e.sequence()).join();
    }

    void answer(Entry e, String replica, int status) {
        journal.recordOutcome(e.sequence(), replica, status).join();
    }

    @Test
    void settleRecordsTheAnswerCommitsAndStoresTheResponseInOneRecord() {
        open();
        Entry a = append("s1", "k1");
        long records = journal.metrics().records();
        StoredResponse response = StoredResponse.of(201, List.of(new Header("Content-Type", "text/plain")),
                "made".getBytes());
        journal.settle(a.sequence(), "cloud", 201, response).join();
        assertThat(journal.metrics().records()).isEqualTo(records + 1);

        for (int run = 0; run < 2; run++) {   // as written, then as recovered from the segment
            assertThat(journal.pending("cloud", "s1", 10)).isEmpty();
            assertThat(journal.pending("edge", "s1", 10)).extracting(Entry::idempotencyKey).containsExactly("k1");
            assertThat(journal.outcomes(a.sequence())).extracting(Outcome::replica, Outcome::status)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("cloud", 201));
            assertThat(journal.response("k1")).contains(response);
            assertThat(journal.inDoubt()).isEmpty();
            reopen();
        }
        Entry b = append("s1", "k2");
        journal.abort(b.sequence()).join();
        assertThatThrownBy(() -> journal.settle(b.sequence(), "cloud", 201, response).join())
                .hasCauseInstanceOf(IllegalStateException.class);
    }

    @Test
    void entriesOwedToAReplicaAreServedFromMemoryWithinTheBudget() {
        open();
        Entry a = append("s1", "k1");
        Entry b = append("s1", "k2");
        answer(a, "cloud", 201);
        commit(a);
        answer(b, "cloud", 201);
        commit(b);
        assertThat(journal.pendingInMemory("edge", "s1", 10).orElseThrow()).containsExactlyElementsOf(
                journal.pending("edge", "s1", 10));
        assertThat(journal.pendingInMemory("edge", "s1", 10).orElseThrow()).extracting(Entry::idempotencyKey)
                .containsExactly("k1", "k2");
        long cached = journal.index().cachedBytes();
        assertThat(cached).isPositive();

        answer(a, "edge", 201);   // answered by every replica: never delivered again, out of memory
        assertThat(journal.index().cachedBytes()).isLessThan(cached);
        answer(b, "edge", 201);
        assertThat(journal.index().cachedBytes()).isZero();
        assertThat(journal.pendingInMemory("edge", "s1", 10)).contains(List.of());

        Entry c = append("s2", "k3");
        journal.abort(c.sequence()).join();
        assertThat(journal.index().cachedBytes()).isZero();
    }

    @Test
    void entriesBeyondTheMemoryBudgetAreReadFromDisk() {
        journal = EmbeddedJournal.open(JournalOptions.builder(dir.resolve("pos")).replicas("cloud", "edge")
                .clock(clock).cacheBytes(0).build());
        Entry a = append("s1", "k1");
        commit(a);
        assertThat(journal.pendingInMemory("edge", "s1", 10)).isEmpty();
        assertThat(journal.pending("edge", "s1", 10)).extracting(Entry::idempotencyKey).containsExactly("k1");
        assertThat(journal.pending("edge", "s1", 10).get(0).body()).isEqualTo(Drafts.body("k1", 64));
    }

    @Test
    void appendedEntriesAreNumberedStampedAndSurviveReopen() {
        open();
        Entry a = append("s1", "k1");
        clock.advance(Duration.ofSeconds(1));
        Entry b = append("s2", "k2");

        assertThat(b.sequence()).isEqualTo(a.sequence() + 1);
        assertThat(a.receivedAtMillis()).isEqualTo(Instant.parse("2025-01-01T10:00:00Z").toEpochMilli());
        assertThat(a.headers()).containsExactly(new Header("Content-Type", "application/json"), new Header("X-Key", "k1"));

        reopen();
        assertThat(journal.recoveryReport().clean()).isTrue();
        assertThat(journal.recoveryReport().entries()).isEqualTo(2);
        assertThat(journal.findByIdempotencyKey("k1")).contains(a);
        assertThat(journal.findByIdempotencyKey("k2")).contains(b);
        assertThat(append("s1", "k3").sequence()).isEqualTo(b.sequence() + 1);
    }

    @Test
    void pendingFollowsJournalOrderPerSessionAndStopsAtAnUndecidedEntry() {
        open();
        Entry a1 = append("a", "a1");
        Entry b1 = append("b", "b1");
        Entry a2 = append("a", "a2");
        Entry a3 = append("a", "a3");
        Entry a4 = append("a", "a4");
        commit(a1);
        commit(b1);
        commit(a2);
        journal.abort(a3.sequence()).join();
        // a4 is still undecided: nothing after it may be delivered yet, but a1 and a2 may
        Entry a5 = append("a", "a5");
        commit(a5);

        assertThat(journal.pending("edge", "a", 10)).containsExactly(a1, a2);
        assertThat(journal.pending("edge", "a", 1)).containsExactly(a1);
        assertThat(journal.pending("edge", "b", 10)).containsExactly(b1);
        assertThat(journal.sessionsWithBacklog("edge")).containsExactlyInAnyOrder("a", "b");

        commit(a4);
        assertThat(journal.pending("edge", "a", 10)).containsExactly(a1, a2, a4, a5);
        assertThat(journal.backlog("edge")).isEqualTo(5);
    }

    @Test
    void anAnswerMovesOnlyThatReplicaPastTheEntryAndNotReachedDoesNot() {
        open();
        Entry e1 = append("s", "k1");
        Entry e2 = append("s", "k2");
        answer(e1, "cloud", 201);
        commit(e1);
        commit(e2);

        assertThat(journal.pending("cloud", "s", 10)).containsExactly(e2);
        assertThat(journal.pending("edge", "s", 10)).containsExactly(e1, e2);

        answer(e1, "edge", Outcome.NOT_REACHED);
        assertThat(journal.pending("edge", "s", 10)).containsExactly(e1, e2);
        answer(e1, "edge", 409);
        assertThat(journal.pending("edge", "s", 10)).containsExactly(e2);
        assertThat(journal.outcomes(e1.sequence())).extracting(Outcome::replica, Outcome::status)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("cloud", 201),
                        org.assertj.core.groups.Tuple.tuple("edge", 0),
                        org.assertj.core.groups.Tuple.tuple("edge", 409));

        reopen();
        assertThat(journal.pending("cloud", "s", 10)).containsExactly(e2);
        assertThat(journal.pending("edge", "s", 10)).containsExactly(e2);
        assertThat(journal.outcomes(e1.sequence())).hasSize(3);
    }

    @Test
    void backlogCountsAndOldestAgeComeFromTheInjectedClock() {
        open();
        assertThat(journal.oldestPendingAge("edge")).isEmpty();
        Entry e1 = append("s1", "k1");
        clock.advance(Duration.ofSeconds(30));
        Entry e2 = append("s2", "k2");
        commit(e1);
        commit(e2);
        answer(e1, "cloud", 200);
        answer(e2, "cloud", 200);
        clock.advance(Duration.ofSeconds(15));

        assertThat(journal.backlog("cloud")).isZero();
        assertThat(journal.backlog("edge")).isEqualTo(2);
        assertThat(journal.oldestPendingAge("edge")).contains(Duration.ofSeconds(45));
        answer(e1, "edge", 200);
        assertThat(journal.oldestPendingAge("edge")).contains(Duration.ofSeconds(15));
        assertThat(journal.sessionsWithBacklog("edge")).containsExactly("s2");
        assertThat(journal.sessionsWithBacklog("cloud")).isEmpty();
    }

    @Test
    void undecidedEntriesAreInDoubtAfterReopenAndBlockTheirSessionUntilDecided() {
        open();
        Entry committed = append("s", "k1");
        commit(committed);
        Entry doubtful = append("s", "k2");
        Entry aborted = append("t", "k3");
        journal.abort(aborted.sequence()).join();
        Entry later = append("s", "k4");
        commit(later);

        reopen();
        assertThat(journal.recoveryReport().inDoubt()).isEqualTo(1);
        assertThat(journal.inDoubt()).containsExactly(doubtful);
        assertThat(journal.pending("edge", "s", 10)).containsExactly(committed);
        assertThat(journal.pending("edge", "t", 10)).isEmpty();

        commit(doubtful);
        assertThat(journal.inDoubt()).isEmpty();
        assertThat(journal.pending("edge", "s", 10)).containsExactly(committed, doubtful, later);
    }

    @Test
    void idempotencyKeysAreUniqueUntilTheirEntryIsAborted() {
        open();
        Entry first = append("s", "k1");
        assertThatThrownBy(() -> append("s", "k1")).isInstanceOf(CompletionException.class)
                .cause().isInstanceOf(DuplicateIdempotencyKeyException.class).hasMessageContaining("k1")
                .hasMessageContaining("entry " + first.sequence());

        journal.abort(first.sequence()).join();
        Entry retry = append("s", "k1");
        assertThat(retry.sequence()).isGreaterThan(first.sequence());
        assertThat(journal.findByIdempotencyKey("k1")).contains(retry);
        assertThat(journal.findByIdempotencyKey("nope")).isEmpty();
    }

    @Test
    void aKeyMayBeKnownExactlyWhileALiveEntryHasIt() {
        open();
        assertThat(journal.mayKnowIdempotencyKey("k1")).isFalse();
        Entry first = append("s", "k1");
        assertThat(journal.mayKnowIdempotencyKey("k1")).isTrue();
        journal.abort(first.sequence()).join();
        assertThat(journal.mayKnowIdempotencyKey("k1")).isFalse();   // free again, as the lookups say
        assertThat(journal.findByIdempotencyKey("k1")).isEmpty();
        assertThat(journal.response("k1")).isEmpty();

        append("s", "k1");
        reopen();
        assertThat(journal.mayKnowIdempotencyKey("k1")).isTrue();    // the index is rebuilt at open
        assertThat(journal.mayKnowIdempotencyKey("k2")).isFalse();
    }

    @Test
    void concurrentAppendsOfOneKeyInOneBatchLetOnlyOneThrough() {
        open();
        List<CompletableFuture<Entry>> futures = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            futures.add(journal.append(draft("s", "same")));
        }
        long ok = futures.stream().filter(f -> !f.handle((e, t) -> t != null).join()).count();
        assertThat(ok).isEqualTo(1);
    }

    @Test
    void storedResponsesAnswerRetriesAndLargeBodiesAreMarkedTruncated() {
        open();
        Entry small = append("s", "k1");
        Entry large = append("s", "k2");
        StoredResponse created = StoredResponse.of(201, List.of(new Header("Location", "/orders/7")), "{\"id\":7}".getBytes());
        StoredResponse huge = StoredResponse.of(200, List.of(), new byte[StoredResponse.MAX_BODY + 1]);
        journal.storeResponse(small.sequence(), created).join();
        journal.storeResponse(large.sequence(), huge).join();

        assertThat(huge.truncated()).isTrue();
        assertThat(huge.body()).isEmpty();
        assertThat(StoredResponse.of(200, List.of(), new byte[StoredResponse.MAX_BODY]).truncated()).isFalse();
        reopen();
        assertThat(journal.response("k1")).contains(created);
        assertThat(journal.response("k2")).contains(huge);
        assertThat(journal.response("k3")).isEmpty();
    }

    @Test
    void contradictoryOrUnknownMarksFailClearly() {
        open();
        Entry e = append("s", "k1");
        journal.abort(e.sequence()).join();

        assertThatThrownBy(() -> journal.commit(e.sequence()).join()).cause()
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("aborted");
        assertThatThrownBy(() -> journal.commit(999).join()).cause()
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sequence: 999");
        assertThatThrownBy(() -> journal.recordOutcome(e.sequence(), "mars", 200))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mars").hasMessageContaining("cloud");
        assertThatThrownBy(() -> journal.recordOutcome(e.sequence(), "edge", 42))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("status: 42");
        assertThatThrownBy(() -> journal.pending("edge", "s", 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max: 0");
        assertThatThrownBy(() -> new EntryDraft("s", "", "POST", "/", List.of(), new byte[0]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("idempotencyKey");
    }

    @Test
    void compactionReclaimsWholeSegmentsOnceEveryReplicaAnsweredAndRetentionPassed() {
        open(4096);
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            entries.add(journal.append(draft("s", "k" + i, 1000)).join());
        }
        Entry straggler = entries.get(10);
        for (Entry e : entries) {
            commit(e);
            answer(e, "cloud", 201);
            if (e != straggler) {
                answer(e, "edge", 201);
            }
        }
        assertThat(journal.compact().segmentsDeleted()).isZero(); // retention has not passed
        int segmentsBefore = EmbeddedJournalFiles.segments(journal.directory()).size();
        assertThat(segmentsBefore).isGreaterThan(3);

        clock.advance(Duration.ofMinutes(11));
        var result = journal.compact();
        assertThat(result.segmentsDeleted()).isPositive();
        assertThat(journal.findByIdempotencyKey("k0")).isEmpty();
        assertThat(journal.findByIdempotencyKey("k10")).contains(straggler); // blocks its segment and later ones
        assertThat(journal.pending("edge", "s", 10)).containsExactly(straggler);
        assertThat(EmbeddedJournalFiles.segments(journal.directory())).hasSize(segmentsBefore - result.segmentsDeleted());

        reopen();
        assertThat(journal.findByIdempotencyKey("k0")).isEmpty();
        assertThat(journal.pending("edge", "s", 10)).containsExactly(straggler);
        answer(straggler, "edge", 201);
        clock.advance(Duration.ofMinutes(11));
        journal.compact();
        assertThat(journal.findByIdempotencyKey("k10")).isEmpty();
        assertThat(journal.findByIdempotencyKey("k19")).isEmpty();
        assertThat(EmbeddedJournalFiles.segments(journal.directory())).hasSize(1); // the active segment stays
        reopen();
        Entry next = append("s", "after"); // numbering continues from the surviving segment's header
        assertThat(next.sequence()).isEqualTo(entries.get(19).sequence() + 1);
    }

    @Test
    void writesSubmittedWhileTheJournalClosesFailInsteadOfWaitingForever() {
        open();
        Entry a = append("s", "k1");
        EmbeddedJournal closing = journal;
        // The journal closes after each write below was checked against "closed" and before it is queued.
        closing.writer().beforeQueue = closing::close;
        CompletableFuture<Entry> append = closing.append(draft("s", "k2"));
        CompletableFuture<Void> commit = closing.commit(a.sequence());
        journal = null;

        for (CompletableFuture<?> late : List.of(append, commit)) {
            assertThatThrownBy(() -> late.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(JournalException.class).hasMessageContaining("is closed");
        }
        closing.writer().beforeQueue = () -> { };
        assertThatThrownBy(() -> closing.append(draft("s", "k3")).join()).cause()
                .isInstanceOf(JournalException.class).hasMessageContaining("is closed");
    }

    @Test
    void aRetentionChangedWhileTheJournalIsOpenDecidesTheNextCompaction() {
        open(4096);
        for (int i = 0; i < 10; i++) {
            Entry e = journal.append(draft("s", "k" + i, 1000)).join();
            commit(e);
            answer(e, "cloud", 201);
            answer(e, "edge", 201);
        }
        clock.advance(Duration.ofMinutes(2));
        assertThat(journal.compact().segmentsDeleted()).isZero();   // opened with 10 minutes

        journal.retention(Duration.ofMinutes(1));
        assertThat(journal.retention()).isEqualTo(Duration.ofMinutes(1));
        assertThat(journal.compact().segmentsDeleted()).isPositive();
        assertThat(journal.findByIdempotencyKey("k0")).isEmpty();
        assertThatThrownBy(() -> journal.retention(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("retention: PT-1S");
    }

    @Test
    void concurrentAppendersShareFsyncs() {
        open();
        List<CompletableFuture<Entry>> futures = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            futures.add(journal.append(draft("s" + (i % 8), "k" + i)));
        }
        futures.forEach(CompletableFuture::join);
        var m = journal.metrics();
        assertThat(m.appends()).isEqualTo(2000);
        assertThat(m.fsyncs()).isLessThan(2000).isPositive();
        assertThat(m.bytesWritten()).isGreaterThan(2000L * 64);
        List<Long> seqs = futures.stream().map(f -> f.join().sequence()).toList();
        assertThat(seqs).isSorted().doesNotHaveDuplicates();
    }
}
