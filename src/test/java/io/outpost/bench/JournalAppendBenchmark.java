package io.outpost.bench;

import io.outpost.journal.Entry;
import io.outpost.journal.EntryDraft;
import io.outpost.journal.Header;
import io.outpost.journal.JournalMetrics;
import io.outpost.journal.embedded.EmbeddedJournal;
import io.outpost.journal.embedded.JournalOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * Durable appends of 1 KiB entries from 64 concurrent appenders, each waiting for its fsync, as the
 * gateway's event loops do. {@code maxBatch=4096} is group commit; {@code maxBatch=1} is the simple
 * alternative (one fsync per append). Each iteration also prints fsyncs/s and appends per fsync.
 *
 * <pre>
 * ./mvnw -q -o test-compile
 * ./mvnw -q -o dependency:build-classpath -Dmdep.outputFile=/tmp/cp-journal.txt -Dmdep.includeScope=test
 * java -cp target/test-classes:target/classes:$(cat /tmp/cp-journal.txt) org.openjdk.jmh.Main \
 *     JournalAppendBenchmark -f 1 -wi 2 -i 3 -w 2s -r 2s
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(64)
public class JournalAppendBenchmark {

    @Param({"4096", "1"})
    public int maxBatch;

    private final AtomicLong keys = new AtomicLong();
    private final byte[] body = new byte[1024];
    private final List<Header> headers = List.of(new Header("Content-Type", "application/json"));
    private Path dir;
    private EmbeddedJournal journal;
    private long iterationStart;
    private long appendsAtStart;
    private long fsyncsAtStart;

    @Setup(Level.Trial)
    public void open() throws IOException {
        Arrays.fill(body, (byte) 'x');
        dir = Files.createTempDirectory("journal-bench");
        journal = EmbeddedJournal.open(JournalOptions.builder(dir).replicas("cloud", "edge").maxBatch(maxBatch).build());
    }

    @Setup(Level.Iteration)
    public void mark() {
        iterationStart = System.nanoTime();
        appendsAtStart = journal.metrics().appends();
        fsyncsAtStart = journal.metrics().fsyncs();
    }

    @TearDown(Level.Iteration)
    public void report() {
        double seconds = (System.nanoTime() - iterationStart) / 1e9;
        JournalMetrics m = journal.metrics();
        long appends = m.appends() - appendsAtStart;
        long fsyncs = m.fsyncs() - fsyncsAtStart;
        System.out.printf("%n  [maxBatch=%d] appends/s %.0f, fsyncs/s %.0f, appends per fsync %.1f%n", maxBatch,
                appends / seconds, fsyncs / seconds, fsyncs == 0 ? 0.0 : (double) appends / fsyncs);
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        journal.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Benchmark
    public Entry append() {
        long n = keys.incrementAndGet();
        return journal.append(new EntryDraft("session-" + (n & 63), "bench-" + n, "POST", "/orders", headers, body)).join();
    }
}
