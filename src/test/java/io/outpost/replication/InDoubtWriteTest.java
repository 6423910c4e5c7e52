package io.outpost.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.journal.EntryDraft;
import io.outpost.journal.Journal;
import io.outpost.journal.JournalException;
import io.outpost.journal.JournalInDoubtException;
import io.outpost.journal.embedded.EmbeddedJournal;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A write whose journal record may or may not be on disk, or is on disk but was not applied (the journal failed it
 * with {@link JournalInDoubtException}), is answered 202 (pending) with its key, not 503, and the answer says which:
 * it comes back in doubt when the journal is open again and is delivered then. A write the journal cut back gets
 * 503 and is never delivered. The journal is wrapped: the embedded one's in-doubt failures need a failed write that
 * cannot be cut back, or a durable batch that cannot be applied, which {@code WriteFailureTest} and
 * {@code DurableBatchFailureTest} produce in the journal's own tests.
 */
class InDoubtWriteTest extends HarnessTest {

    private static final Set<String> WRITES = Set.of("append", "recordOutcome", "commit", "abort", "storeResponse",
            "settle");

    @AfterEach
    void realJournal() {
        Replication.openJournal = EmbeddedJournal::open;
    }

    @ParameterizedTest
    @EnumSource(value = Fate.class, names = {"MAYBE_STORED", "STORED"})
    void aWriteTheJournalCannotConfirmIsPendingWithItsKeyAndDeliveredOnceTheJournalIsOpenAgain(Fate fate)
            throws Exception {
        start(journal -> failing(journal, "append", args -> body(args).equals("w1"), fate));
        assertThat(h.post("till-x", "/sales", "w0", null).statusCode()).isEqualTo(201);

        HttpResponse<String> w1 = h.post("till-x", "/sales", "w1", null);
        assertThat(w1.statusCode()).as(w1.body()).isEqualTo(202);
        assertThat(w1.body()).contains("\"outcome\":\"pending\"")
                .contains("a retry with its Idempotency-Key is not applied twice");
        if (fate == Fate.STORED) {
            assertThat(w1.body()).contains("the journal stored the write but failed before it could confirm it")
                    .contains("the write is delivered to every replica once the journal is open again")
                    .doesNotContain("could not confirm whether").doesNotContain("if it did");
        } else {
            assertThat(w1.body()).contains("the journal could not confirm whether it stored the write")
                    .contains("if it did, the write is delivered to every replica once the journal is open again");
        }
        String key = w1.headers().firstValue("Idempotency-Key").orElseThrow();
        assertThat(h.cloud.receivedBodies("till-x")).containsExactly("w0");

        // The journal takes no more writes: the service lets it go, and the next reload opens it again. w1 reached
        // the disk, so it is in doubt, committed and delivered to both replicas before the next write.
        await().atMost(Duration.ofSeconds(5)).until(() -> h.admin("GET", "/ready").statusCode() == 503);
        reload(h.yaml("        maxBodySize: 1000"));
        await().atMost(Duration.ofSeconds(10)).until(() -> h.admin("GET", "/ready").statusCode() == 200);
        assertThat(h.post("till-x", "/sales", "w2", null).statusCode()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(10)).until(() -> List.of("w0", "w1", "w2").equals(h.cloud.state().get("till-x"))
                && List.of("w0", "w1", "w2").equals(h.edge.state().get("till-x")));
        assertThat(h.cloud.received().stream().filter(r -> r.body().equals("w1")).map(ReplicaServer.Received::key))
                .containsOnly(key);

        assertThat(h.post("till-x", "/sales", "w1", key).statusCode()).as("a retry with its key").isEqualTo(409);
        assertThat(h.cloud.state().get("till-x")).containsExactly("w0", "w1", "w2");
    }

    @Test
    void aWriteTheJournalCutBackIsNotAcceptedAndNeverDelivered() throws Exception {
        start(journal -> failing(journal, "append", args -> body(args).equals("w1"), Fate.NOT_STORED));

        HttpResponse<String> w1 = h.post("till-x", "/sales", "w1", null);
        assertThat(w1.statusCode()).as(w1.body()).isEqualTo(503);
        assertThat(w1.body()).contains("the write was not accepted").contains("No space left on device");
        assertThat(w1.headers().firstValue("Idempotency-Key")).isEmpty();

        assertThat(h.post("till-x", "/sales", "w2", null).statusCode()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(5)).until(() -> h.edge.receivedBodies("till-x").contains("w2"));
        assertThat(h.cloud.receivedBodies("till-x")).containsExactly("w2");
        assertThat(h.edge.receivedBodies("till-x")).containsExactly("w2");
        assertThat(h.admin("GET", "/ready").statusCode()).isEqualTo(200);
    }

    @ParameterizedTest
    @EnumSource(value = Fate.class, names = {"MAYBE_STORED", "STORED"})
    void aWriteWhoseAbortTheJournalFailsIsPendingOnlyWhileTheAbortMayBeLost(Fate fate) throws Exception {
        start(journal -> failing(journal, "abort", args -> true, fate));
        assertThat(h.admin("POST", "/api/services/pos/replicas/edge/pause").statusCode()).isEqualTo(200);
        h.cloud.reject("/sales", 503);   // not reached: no replica takes w1, so it is aborted

        HttpResponse<String> w1 = h.post("till-x", "/sales", "w1", null);
        String key;
        if (fate == Fate.STORED) {
            // The abort is durable, only not applied: the write is not applied, as after any abort.
            assertThat(w1.statusCode()).as(w1.body()).isEqualTo(503);
            assertThat(w1.body()).contains("could take the write, it was not applied");
            key = null;
        } else {
            assertThat(w1.statusCode()).as(w1.body()).isEqualTo(202);
            assertThat(w1.body()).doesNotContain("will be delivered")
                    .contains("the journal could not confirm whether it recorded that the write was not applied")
                    .contains("if it did not, the write is delivered to every replica once the journal is open again");
            key = w1.headers().firstValue("Idempotency-Key").orElseThrow();
        }

        // The abort did reach the disk: once the journal is open again, w1 is aborted, not delivered, and its key
        // is free, so a retry with it is applied, once.
        await().atMost(Duration.ofSeconds(5)).until(() -> h.admin("GET", "/ready").statusCode() == 503);
        h.cloud.acceptAll();
        reload(h.yaml("        maxBodySize: 1000"));
        await().atMost(Duration.ofSeconds(10)).until(() -> h.admin("GET", "/ready").statusCode() == 200);
        assertThat(h.admin("POST", "/api/services/pos/replicas/edge/resume").statusCode()).isEqualTo(200);
        assertThat(h.post("till-x", "/sales", "w2", null).statusCode()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(5)).until(() -> h.edge.receivedBodies("till-x").contains("w2"));
        assertThat(h.edge.receivedBodies("till-x")).containsExactly("w2");
        assertThat(h.cloud.state().get("till-x")).containsExactly("w2");

        assertThat(h.post("till-x", "/sales", "w1", key).statusCode()).as("a retry (with its key if it had one)")
                .isEqualTo(201);
        await().atMost(Duration.ofSeconds(5)).until(() -> h.edge.receivedBodies("till-x").contains("w1"));
        assertThat(h.cloud.state().get("till-x")).containsExactly("w2", "w1");
        assertThat(h.edge.state().get("till-x")).containsExactly("w2", "w1");
    }

    /** Starts the gateway on the wrapped journal; a reload opens the real one. */
    private void start(UnaryOperator<Journal> wrap) throws Exception {
        h = new Harness(dir);
        Replication.openJournal = options -> wrap.apply(EmbeddedJournal.open(options));
        try {
            h.start();
        } finally {
            Replication.openJournal = EmbeddedJournal::open;
        }
    }

    private static String body(Object[] args) {
        return new String(((EntryDraft) args[0]).body(), StandardCharsets.UTF_8);
    }

    /** What becomes of the record of the call that {@link #failing} fails. */
    enum Fate {
        /** Cut back: a plain {@link JournalException}, and the journal goes on. */
        NOT_STORED,
        /**
         * It reaches the file, but its fsync fails and so does cutting it back: {@link JournalInDoubtException}, not
         * {@link JournalInDoubtException#stored() stored}.
         */
        MAYBE_STORED,
        /** It is made durable, but the journal fails before applying it: {@link JournalInDoubtException}, stored. */
        STORED
    }

    /**
     * The journal, on a disk that fails the first call of {@code method} that {@code picked} accepts, as
     * {@code fate} says. Unless the record was cut back, the journal takes no more writes until it is reopened, as
     * the embedded one does.
     */
    private static Journal failing(Journal real, String method, Predicate<Object[]> picked, Fate fate) {
        AtomicBoolean failed = new AtomicBoolean();
        AtomicBoolean broken = new AtomicBoolean();
        String unusable = fate == Fate.STORED ? "a batch it stored could not be applied "
                + "(java.lang.IllegalStateException: injected)" : "a failed write could not be cut back (Input/output error)";
        return (Journal) Proxy.newProxyInstance(Journal.class.getClassLoader(), new Class<?>[] {Journal.class},
                (proxy, m, args) -> {
                    if (broken.get() && m.getName().equals("failure")) {
                        return Optional.of(unusable);
                    }
                    if (broken.get() && WRITES.contains(m.getName())) {
                        return CompletableFuture.failedFuture(new JournalException("journal pos is unusable after "
                                + unusable + "; reopen it"));
                    }
                    if (m.getName().equals(method) && picked.test(args) && failed.compareAndSet(false, true)) {
                        if (fate == Fate.NOT_STORED) {
                            IOException full = new IOException("No space left on device");
                            return CompletableFuture.failedFuture(new JournalException("cannot write journal "
                                    + "segment: " + full, full));
                        }
                        IOException device = new IOException("Input/output error");
                        IllegalStateException index = new IllegalStateException("injected");
                        return ((CompletableFuture<?>) invoke(real, m, args)).thenCompose(v -> {
                            broken.set(true);
                            return CompletableFuture.failedFuture(fate == Fate.STORED
                                    ? JournalInDoubtException.stored("journal pos: a batch was stored but could not "
                                            + "be applied (" + index + "); its writes come back in doubt when the "
                                            + "journal is reopened", index)
                                    : new JournalInDoubtException("cannot write journal segment: " + device
                                            + "; cutting the batch back failed too", device));
                        });
                    }
                    return invoke(real, m, args);
                });
    }

    private static Object invoke(Journal real, Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(real, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private void reload(String yaml) throws Exception {
        Path tmp = dir.resolve("next.yaml");
        Files.writeString(tmp, yaml);
        Files.move(tmp, h.file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
