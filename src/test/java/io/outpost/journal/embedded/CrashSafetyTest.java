package io.outpost.journal.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.journal.Entry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** G1: a {@code kill -9} at any moment loses no acknowledged append. */
class CrashSafetyTest {

    @TempDir
    Path tmp;

    @Test
    void everyAcknowledgedAppendSurvivesSigkillIntact() throws Exception {
        Path dir = tmp.resolve("journal");
        ChildJvm child = ChildJvm.start(null, CrashChild.class, tmp.resolve("child.err"), dir.toString());
        try {
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> child.lines.stream().filter(l -> l.startsWith("ACK")).count() >= 3000
                            || !child.process.isAlive());
            assertThat(child.process.isAlive()).as("child still appending (see %s)", tmp.resolve("child.err")).isTrue();
            child.process.destroyForcibly(); // SIGKILL, mid-stream
        } finally {
            child.process.destroyForcibly();
        }
        child.awaitExit();
        List<String[]> acked = child.lines.stream().filter(l -> l.startsWith("ACK ")).map(l -> l.split(" ")).toList();
        assertThat(acked).hasSizeGreaterThanOrEqualTo(3000);

        try (EmbeddedJournal journal = EmbeddedJournal.open(JournalOptions.builder(dir).replicas("cloud", "edge")
                .segmentBytes(256 * 1024).build())) {
            assertThat(journal.recoveryReport().corruptRecords()).isEmpty();
            assertThat(journal.recoveryReport().segments()).isGreaterThan(1);
            for (String[] ack : acked) {
                long seq = Long.parseLong(ack[1]);
                String key = ack[2];
                int i = Integer.parseInt(key.substring("crash-".length()));
                Entry found = journal.findByIdempotencyKey(key).orElseThrow(() -> new AssertionError("lost " + key));
                Entry expected = Entry.of(seq, Drafts.draft("session-" + (i % 7), key, 200 + (i * 37) % 1500),
                        found.receivedAtMillis());
                assertThat(found).isEqualTo(expected); // Entry.equals compares the body bytes
            }
            // acknowledged but never committed: in doubt, so the replicator decides about them
            Set<Long> inDoubt = journal.inDoubt().stream().map(Entry::sequence).collect(Collectors.toSet());
            assertThat(acked.stream().map(a -> Long.parseLong(a[1])).filter(s -> s % 2 == 1))
                    .allMatch(s -> inDoubt.contains(s));
            Entry after = journal.append(Drafts.draft("s", "after-crash")).join();
            assertThat(after.sequence()).isGreaterThan(acked.stream().mapToLong(a -> Long.parseLong(a[1])).max().orElseThrow());
        }
    }
}
