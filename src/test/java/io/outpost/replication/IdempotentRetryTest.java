package io.outpost.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.util.internal.ThreadExecutorMap;
import io.outpost.journal.EntryDraft;
import io.outpost.journal.Header;
import io.outpost.journal.Journal;
import io.outpost.journal.embedded.EmbeddedJournal;
import io.outpost.journal.embedded.JournalOptions;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client's retry with a known {@code Idempotency-Key} is answered from the journal (G4), whose files
 * are read off the event loops; a key the journal has never seen is not looked up at all.
 */
class IdempotentRetryTest {

    /** The journal's lookups by idempotency key, which read its segment files. */
    private static final Set<String> LOOKUPS = Set.of("response", "findByIdempotencyKey");

    /** A lookup as the gateway called it: which one, on which thread, and whether that thread ran an event loop. */
    record Lookup(String method, String thread, boolean onEventLoop) {
    }

    @TempDir
    Path dir;

    private Harness h;
    private final List<Lookup> lookups = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        Replication.openJournal = EmbeddedJournal::open;
        if (h != null) {
            h.close();
        }
    }

    @Test
    void aRetryIsAnsweredFromTheJournalOffTheEventLoopsAndANewKeyIsNotLookedUp() throws Exception {
        try (EmbeddedJournal journal = EmbeddedJournal.open(JournalOptions.builder(dir.resolve("journal").resolve("pos"))
                .replicas("cloud", "edge").build())) {
            journal.append(new EntryDraft("till-d", "key-d", "POST", "/sales", List.of(new Header("X-Till", "till-d")),
                    "sale-d".getBytes(StandardCharsets.UTF_8))).join();
        }   // left in doubt: committed when the gateway starts, with no stored response
        Replication.openJournal = options -> watched(EmbeddedJournal.open(options));
        h = new Harness(dir).start();
        // Writes are refused until the entry left in doubt is committed, which the gateway does after it starts.
        await().atMost(Duration.ofSeconds(10)).until(() -> h.admin("GET", "/ready").statusCode() == 200);

        HttpResponse<String> first = h.post("till-r", "/sales", "sale-r", "key-r");
        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(lookups).as("a key the journal has never seen").isEmpty();

        HttpResponse<String> retry = h.post("till-r", "/sales", "sale-r", "key-r");
        assertThat(retry.statusCode()).isEqualTo(201);
        assertThat(retry.body()).isEqualTo(first.body());                      // the stored response, read from disk
        HttpResponse<String> inDoubt = h.post("till-d", "/sales", "sale-d", "key-d");
        assertThat(inDoubt.statusCode()).isEqualTo(409);
        assertThat(inDoubt.body()).contains("Idempotency-Key key-d was accepted before");

        assertThat(lookups).extracting(Lookup::method).contains("response", "findByIdempotencyKey");
        assertThat(lookups).noneMatch(Lookup::onEventLoop);
        assertThat(h.cloud.receivedBodies("till-r")).containsExactly("sale-r");   // not run again
    }

    /** The real journal, noting each lookup by idempotency key with the thread it runs on. */
    private Journal watched(Journal real) {
        return (Journal) Proxy.newProxyInstance(Journal.class.getClassLoader(), new Class<?>[] {Journal.class},
                (proxy, method, args) -> {
                    if (LOOKUPS.contains(method.getName())) {
                        // Set on the threads of Netty's event loops, and only there.
                        lookups.add(new Lookup(method.getName(), Thread.currentThread().getName(),
                                ThreadExecutorMap.currentExecutor() != null));
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
