package io.outpost.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.config.ServiceConfig;
import io.outpost.runtime.BuildContext;
import io.outpost.runtime.Gateway;
import io.outpost.runtime.ServiceFactory;
import io.outpost.service.Service;
import io.outpost.testing.Ports;
import io.outpost.upstream.FakeTicker;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Reads of a replicated service fail over as writes do (G5): on a connect failure, a reset, a response
 * head that does not come within {@code responseHeader} (700 ms in the harness) or a status in
 * {@code notReachedStatuses}, to the next replica that may serve the session; the client gets that
 * replica's answer.
 */
class ReadFailoverTest extends HarnessTest {

    private static final long HEADER_TIMEOUT_MILLIS = 700;

    @Test
    void aReadWhoseReplicaNeverAnswersIsAnsweredByTheNextAndOnlyTheLastTimeoutIs504() throws Exception {
        h = new Harness(dir).start();
        assertThat(h.post("till-1", "/sales", "sale-1", null).statusCode()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(5)).until(() -> h.replica("edge").get("backlog").asLong() == 0);
        h.cloud.hang(true);

        long t0 = System.nanoTime();
        HttpResponse<String> read = h.get("till-1", "/state");
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
        assertThat(read.headers().firstValue("X-Replica")).hasValue("edge");   // G5: the secondary's answer
        assertThat(read.body()).isEqualTo("1");
        assertThat(millis).isGreaterThanOrEqualTo(HEADER_TIMEOUT_MILLIS - 50)   // the cloud was asked first
                .isLessThan(2 * HEADER_TIMEOUT_MILLIS);

        h.edge.hang(true);
        long t1 = System.nanoTime();
        HttpResponse<String> none = h.get("till-1", "/state");
        long noneMillis = (System.nanoTime() - t1) / 1_000_000;
        assertThat(none.statusCode()).isEqualTo(504);
        assertThat(none.body()).contains("no response from").contains(h.edge.url());
        assertThat(noneMillis).isGreaterThanOrEqualTo(2 * HEADER_TIMEOUT_MILLIS - 50);   // both were waited for
        // Both reads' timeouts count against the replicas, the last one's 504 included.
        assertThat(h.replica("cloud").get("consecutiveReadFailures").asInt()).isEqualTo(2);
        assertThat(h.replica("edge").get("consecutiveReadFailures").asInt()).isEqualTo(1);
    }

    @Test
    void aReadIsNotFailedOverToAReplicaThatHasNotCaughtUpOnTheSession() throws Exception {
        h = new Harness(dir).start();
        h.edge.slow("till-2", 5_000);   // each delivery of the session to the edge times out
        assertThat(h.post("till-2", "/sales", "sale-1", null).headers().firstValue("X-Replica")).hasValue("cloud");
        await().atMost(Duration.ofSeconds(5)).until(() -> h.replica("edge").get("backlog").asLong() == 1);
        h.cloud.hang(true);

        HttpResponse<String> read = h.get("till-2", "/state");
        // The edge would answer at once, but without the session's write: the client gets the cloud's timeout.
        assertThat(read.statusCode()).as(read.body()).isEqualTo(504);
        assertThat(read.body()).contains("no response from").contains(h.cloud.url());
    }

    @Test
    void aReadWhoseReplicaResetsTheConnectionIsAnsweredByTheNext() throws Exception {
        try (ResettingReplica resetting = new ResettingReplica()) {
            h = new Harness(dir);
            h.cloudUrl = resetting.url();
            h.start();

            HttpResponse<String> read = h.get("till-3", "/state");
            assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
            assertThat(read.headers().firstValue("X-Replica")).hasValue("edge");
            assertThat(resetting.reads()).first().extracting(ResettingReplica.Read::requestLine)
                    .asString().startsWith("GET /state ");   // it reached the cloud
        }
    }

    @Test
    void aReadAnsweredWithANotReachedStatusGoesToTheNextReplicaAndTheLastAnswerIsPassedThrough() throws Exception {
        h = new Harness(dir).start();
        h.cloud.failReads(503);
        HttpResponse<String> read = h.get("till-4", "/state");
        assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
        assertThat(read.headers().firstValue("X-Replica")).hasValue("edge");

        h.edge.failReads(502);
        HttpResponse<String> last = h.get("till-4", "/state");
        assertThat(last.statusCode()).isEqualTo(502);
        assertThat(last.headers().firstValue("X-Replica")).hasValue("edge");   // the replica's own answer
        assertThat(last.body()).isEqualTo("edge answers 502");
    }

    @Test
    void aStatusLeftOutOfNotReachedStatusesIsPassedThroughButATimeoutStillFailsOver() throws Exception {
        h = new Harness(dir).start("        notReachedStatuses: [502]");
        h.cloud.failReads(504);
        HttpResponse<String> answered = h.get("till-5", "/state");
        assertThat(answered.statusCode()).isEqualTo(504);
        assertThat(answered.headers().firstValue("X-Replica")).hasValue("cloud");
        assertThat(answered.body()).isEqualTo("cloud answers 504");

        h.cloud.failReads(0);
        h.cloud.hang(true);
        HttpResponse<String> timedOut = h.get("till-5", "/state");
        assertThat(timedOut.statusCode()).as(timedOut.body()).isEqualTo(200);
        assertThat(timedOut.headers().firstValue("X-Replica")).hasValue("edge");
    }

    @Test
    void aReplicaThatHangsThreeReadsInARowIsSkippedByReadsUntilItsBackOffHasPassed() throws Exception {
        FakeTicker ticker = new FakeTicker();
        try (HangingReplica hung = new HangingReplica()) {
            h = new Harness(dir);
            h.cloudUrl = hung.url();
            h.options = new Gateway.Options(2, Clock.systemUTC(), new ServiceFactory() {
                @Override
                public Service create(String name, ServiceConfig config, BuildContext context) {
                    Replication.Options d = Replication.Options.defaults();
                    return ReplicatedService.create(name, (ServiceConfig.Replicated) config, context,
                            new Replication.Options(d.backoffBase(), d.backoffMax(), d.tick(), d.lanesPerReplica(),
                                    d.batch(), d.deliveryThreads(), d.maxResponseBytes(), ticker, d.random(),
                                    ReadHealth.Policy.DEFAULTS));
                }
            });
            h.start();

            for (int i = 1; i <= 3; i++) {
                assertThat(edgeRead()).isGreaterThanOrEqualTo(HEADER_TIMEOUT_MILLIS - 50);
                assertThat(hung.accepted.get()).isEqualTo(i);   // the cloud, first in priority, was asked each time
            }
            var cloud = h.replica("cloud");
            assertThat(cloud.get("consecutiveReadFailures").asInt()).isEqualTo(3);
            assertThat(cloud.has("readsSkippedUntil")).isTrue();

            // Skipped: the edge answers at once, and the cloud sees no connection.
            assertThat(edgeRead()).isLessThan(HEADER_TIMEOUT_MILLIS - 50);
            assertThat(edgeRead()).isLessThan(HEADER_TIMEOUT_MILLIS - 50);
            assertThat(hung.accepted.get()).isEqualTo(3);

            ticker.advance(Duration.ofSeconds(30));   // the first back-off has passed: the cloud is tried again
            assertThat(h.replica("cloud").has("readsSkippedUntil")).isFalse();
            CompletableFuture<Long> trial = CompletableFuture.supplyAsync(() -> {
                try {
                    return edgeRead();
                } catch (Exception e) {
                    throw new CompletionException(e);
                }
            });
            await().atMost(Duration.ofSeconds(5)).until(() -> hung.accepted.get() == 4);
            // One read is the cloud's trial; reads that come while it waits keep skipping the cloud.
            assertThat(h.replica("cloud").has("readsSkippedUntil")).isTrue();
            assertThat(edgeRead()).isLessThan(HEADER_TIMEOUT_MILLIS - 50);
            assertThat(edgeRead()).isLessThan(HEADER_TIMEOUT_MILLIS - 50);
            assertThat(hung.accepted.get()).isEqualTo(4);
            assertThat(trial.get(10, TimeUnit.SECONDS)).isGreaterThanOrEqualTo(HEADER_TIMEOUT_MILLIS - 50);
            // It failed its trial: skipped again at once.
            assertThat(edgeRead()).isLessThan(HEADER_TIMEOUT_MILLIS - 50);
            assertThat(hung.accepted.get()).isEqualTo(4);
            assertThat(h.replica("cloud").get("consecutiveReadFailures").asInt()).isEqualTo(4);
            assertThat(h.replica("edge").get("consecutiveReadFailures").asInt()).isZero();
        }
    }

    /** Reads session till-6, asserts the edge answered, and returns how long the read took in milliseconds. */
    private long edgeRead() throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<String> read = h.get("till-6", "/state");
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
        assertThat(read.headers().firstValue("X-Replica")).hasValue("edge");
        return millis;
    }

    /** A replica that accepts connections, counts them, and never answers: it holds each until closed. */
    private static final class HangingReplica implements AutoCloseable {
        final AtomicInteger accepted = new AtomicInteger();
        private final List<Socket> held = new CopyOnWriteArrayList<>();
        private final ServerSocket server;

        HangingReplica() throws IOException {
            server = new ServerSocket(Ports.free(), 50, InetAddress.getLoopbackAddress());
            Thread t = new Thread(this::accept, "hanging-replica");
            t.setDaemon(true);
            t.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getLocalPort();
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    held.add(server.accept());
                    accepted.incrementAndGet();
                } catch (IOException e) {
                    return;   // closed
                }
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : held) {
                s.close();
            }
        }
    }
}
