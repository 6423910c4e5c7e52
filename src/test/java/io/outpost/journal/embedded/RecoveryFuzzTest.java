package io.outpost.journal.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.journal.Entry;
import io.outpost.journal.Header;
import io.outpost.journal.JournalException;
import io.outpost.journal.Outcome;
import io.outpost.journal.StoredResponse;
import io.outpost.journal.embedded.RecordCodec.CommitRec;
import io.outpost.journal.embedded.RecordCodec.EntryRec;
import io.outpost.journal.embedded.RecordCodec.OutcomeRec;
import io.outpost.journal.embedded.RecordCodec.Rec;
import io.outpost.journal.embedded.RecordCodec.SettleRec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Property: whatever random damage a journal's segments take (bits flipped, a range zeroed or
 * overwritten, a file cut at any offset), opening it either fails with a {@link JournalException}
 * because a segment header is unreadable, or recovers a journal that returns no record that was not
 * written, keeps every record that lies before the first damaged byte (in log order), numbers new
 * entries after the ones it kept, lets compaction take none of them, and opens the same way again.
 * {@link RecoveryTest} covers the documented cases one by one; this covers where the damage falls.
 * Each case prints its seed and the damage.
 */
class RecoveryFuzzTest {

    private static final long SEED = 0x10A2_0001L;
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC);
    private static final int SEGMENT_BYTES = 2048;

    @TempDir
    static Path pristineDir;
    @TempDir
    Path work;

    /** The segment files as written, by name, in log order. */
    private static final Map<String, byte[]> FILES = new java.util.TreeMap<>();
    /** Every record as written: which file, where, and what. */
    private static final List<Frame> FRAMES = new ArrayList<>();
    private static final Map<Long, Entry> ENTRIES = new HashMap<>();
    private static long nextSequence;

    private record Frame(String file, int offset, int length, Rec rec) {}

    /** The first damaged byte in log order: a file and an offset in it. */
    private record Damage(String file, long offset, String what) {}

    private static JournalOptions options(Path dir) {
        // Entries are read back from the damaged files; compaction may take whatever is settled at once.
        return JournalOptions.builder(dir).replicas("cloud", "edge").clock(CLOCK).segmentBytes(SEGMENT_BYTES)
                .cacheBytes(0).retention(java.time.Duration.ZERO).build();
    }

    @BeforeAll
    static void writeJournal() throws IOException {
        Random random = new Random(SEED);
        try (EmbeddedJournal journal = EmbeddedJournal.open(options(pristineDir))) {
            for (int i = 0; i < 40; i++) {
                Entry e = journal.append(Drafts.draft("s" + random.nextInt(4), "key-" + i, random.nextInt(200))).join();
                ENTRIES.put(e.sequence(), e);
                switch (random.nextInt(6)) {
                    case 0 -> { } // in doubt
                    case 1 -> journal.recordOutcome(e.sequence(), "cloud", 201).join();
                    case 2 -> {
                        journal.commit(e.sequence()).join();
                        journal.recordOutcome(e.sequence(), "edge", 409).join();
                    }
                    case 3 -> journal.settle(e.sequence(), "cloud", 201, new StoredResponse(201,
                            List.of(new Header("X-R", "" + i)), Drafts.body("r" + i, random.nextInt(50)), false)).join();
                    default -> journal.commit(e.sequence()).join();
                }
            }
            nextSequence = ENTRIES.size() + 1;
        }
        for (Path file : EmbeddedJournalFiles.segments(pristineDir)) {
            byte[] bytes = Files.readAllBytes(file);
            String name = file.getFileName().toString();
            FILES.put(name, bytes);
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            int pos = Segment.HEADER;
            int frame;
            while ((frame = RecordCodec.validFrameAt(buf, pos)) > 0) {
                FRAMES.add(new Frame(name, pos, frame, RecordCodec.decode(buf, pos, frame)));
                pos += frame;
            }
        }
        assertThat(FILES).as("segments to damage").hasSizeGreaterThan(3);
    }

    @Test
    void damagedSegmentsRecoverEverythingBeforeTheDamageAndNothingThatWasNotWritten() throws IOException {
        for (int i = 0; i < 200; i++) {
            long seed = SEED + i;
            Random random = new Random(seed);
            Path dir = work.resolve("case-" + i);
            Files.createDirectories(dir);
            Map<String, byte[]> files = new java.util.TreeMap<>();
            FILES.forEach((name, bytes) -> files.put(name, bytes.clone()));
            Damage damage = damage(random, files);
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                Files.write(dir.resolve(f.getKey()), f.getValue());
            }
            String why = "seed " + seed + ": " + damage.what();

            try {
                recover(why, dir, damage, "after-" + i);
            } catch (RuntimeException e) {
                throw new AssertionError(why + ": not the documented outcome", e);
            }
        }
    }

    /** Opens the damaged journal in {@code dir}, checks it, uses it, and opens it again. */
    private static void recover(String why, Path dir, Damage damage, String newKey) {
        EmbeddedJournal journal;
        try {
            journal = EmbeddedJournal.open(options(dir));
        } catch (JournalException e) {
            assertThat(damage.offset()).as(why + ": refused to open (" + e.getMessage() + ") without a damaged header")
                    .isLessThan(Segment.HEADER);
            return;
        }
        Map<String, Entry> found;
        try (journal) {
            found = check(why, journal, damage);
            Entry next = journal.append(Drafts.draft("s0", newKey, 10)).join();
            long kept = found.values().stream().mapToLong(Entry::sequence).max().orElse(0);
            assertThat(next.sequence()).as(why + ": numbering goes on after what was kept")
                    .isBetween(kept + 1, nextSequence);
            found.put(next.idempotencyKey(), next);
            // No entry written is settled (no write was answered by both replicas): none may go.
            journal.compact();
        }
        try (EmbeddedJournal again = EmbeddedJournal.open(options(dir))) {
            for (Map.Entry<String, Entry> e : found.entrySet()) {
                assertThat(again.findByIdempotencyKey(e.getKey())).as(why + ": opened again").contains(e.getValue());
            }
        }
    }

    /** Checks what the journal returns; the entries it has, by idempotency key. */
    private static Map<String, Entry> check(String why, EmbeddedJournal journal, Damage damage) {
        Map<String, Entry> found = new HashMap<>();
        for (Entry written : ENTRIES.values()) {
            journal.findByIdempotencyKey(written.idempotencyKey()).ifPresent(e -> {
                assertThat(e).as(why + ": a record that was not written").isEqualTo(written);
                found.put(e.idempotencyKey(), e);
            });
        }
        for (Entry e : journal.inDoubt()) {
            assertThat(e).as(why + ": a record that was not written").isEqualTo(ENTRIES.get(e.sequence()));
        }
        for (String replica : List.of("cloud", "edge")) {
            for (int s = 0; s < 4; s++) {
                for (Entry e : journal.pending(replica, "s" + s, 100)) {
                    assertThat(e).as(why + ": a record that was not written").isEqualTo(ENTRIES.get(e.sequence()));
                }
            }
        }
        List<Long> inDoubt = journal.inDoubt().stream().map(Entry::sequence).toList();
        for (Frame f : FRAMES) {
            if (!before(f, damage)) {
                continue;
            }
            if (f.rec() instanceof EntryRec r) {
                assertThat(found).as(why + ": " + r.entry() + " was before the damage")
                        .containsEntry(r.entry().idempotencyKey(), r.entry());
            } else if (f.rec() instanceof CommitRec r) {
                assertThat(inDoubt).as(why + ": the commit of " + r.sequence() + " was before the damage")
                        .doesNotContain(r.sequence());
            } else if (f.rec() instanceof OutcomeRec r) {
                assertThat(journal.outcomes(r.sequence())).as(why).contains(r.outcome());
            } else if (f.rec() instanceof SettleRec r) {
                assertThat(journal.outcomes(r.sequence())).as(why).contains(r.outcome());
                Optional<StoredResponse> response = journal.response(ENTRIES.get(r.sequence()).idempotencyKey());
                assertThat(response).as(why).contains(r.response());
            }
        }
        return found;
    }

    /** Whether the frame lies wholly before the first damaged byte. */
    private static boolean before(Frame f, Damage damage) {
        int order = f.file().compareTo(damage.file());
        return order < 0 || order == 0 && f.offset() + f.length() <= damage.offset();
    }

    /** Damages {@code files} in place; returns the first damaged byte in log order. */
    private static Damage damage(Random random, Map<String, byte[]> files) {
        List<String> names = new ArrayList<>(files.keySet());
        String name = names.get(random.nextInt(names.size()));
        byte[] bytes = files.get(name);
        // Most damage falls among the records; the headers, and the zeros written ahead of the newest
        // segment's end, get some.
        int end = validEnd(bytes);
        int at = switch (random.nextInt(10)) {
            case 0 -> random.nextInt(Segment.HEADER);
            case 1, 2 -> random.nextInt(bytes.length);
            default -> random.nextInt(Math.max(1, end));
        };
        switch (random.nextInt(4)) {
            case 0 -> {
                int first = at;
                StringBuilder what = new StringBuilder("flipped bits in " + name + " at");
                for (int n = 1 + random.nextInt(4); n > 0; n--) {
                    int p = n == 1 ? at : Math.min(bytes.length - 1, at + random.nextInt(64));
                    int bit = random.nextInt(8);
                    bytes[p] ^= (byte) (1 << bit);
                    first = Math.min(first, p);
                    what.append(' ').append(p).append('.').append(bit);
                }
                return new Damage(name, first, what.toString());
            }
            case 1 -> {
                files.put(name, java.util.Arrays.copyOf(bytes, at));
                return new Damage(name, at, "cut " + name + " at " + at);
            }
            case 2 -> {
                int n = Math.min(bytes.length - at, 1 + random.nextInt(100));
                java.util.Arrays.fill(bytes, at, at + n, (byte) 0);
                return new Damage(name, at, "zeroed " + n + " bytes of " + name + " at " + at);
            }
            default -> {
                int n = Math.min(bytes.length - at, 1 + random.nextInt(100));
                byte[] garbage = new byte[n];
                random.nextBytes(garbage);
                System.arraycopy(garbage, 0, bytes, at, n);
                return new Damage(name, at, "overwrote " + n + " bytes of " + name + " at " + at);
            }
        }
    }

    /** Where the records of a segment end: the newest is zero-filled after them. */
    private static int validEnd(byte[] bytes) {
        int end = bytes.length;
        while (end > Segment.HEADER && bytes[end - 1] == 0) {
            end--;
        }
        return end;
    }
}
