package io.outpost.testing;

import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakTracker;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The test JVM's Netty leak detector: it logs a leak as Netty's does and also keeps it, so that
 * {@link LeakDetection} can fail the test class whose buffer leaked.
 *
 * <p>Netty picks it up from {@code -Dio.netty.customResourceLeakDetector} (surefire's argLine),
 * so it is in place before the first buffer is allocated, whatever the order classes load in.
 * Every tracked resource carries, as the hint of its "Created at" record, the test class that was
 * running when it was allocated; a leak found later (when the garbage collector gets to it) is
 * still attributed to the class that allocated it.
 */
public class RecordingLeakDetector<T> extends ResourceLeakDetector<T> {

    /** A reported leak: Netty's records, and the test class running when the resource was allocated (or null). */
    public record Leak(String resourceType, String records, String testClass) {

        @Override
        public String toString() {
            return "LEAK: " + resourceType + ".release() was not called before it was garbage-collected"
                    + (testClass == null ? " (allocated outside any test class)" : " (allocated while " + testClass + " ran)")
                    + (records.isEmpty() ? "" : ":" + System.lineSeparator() + records);
        }
    }

    private static final String HINT_PREFIX = "allocated while test class ran: ";
    private static final Pattern HINT = Pattern.compile(Pattern.quote(HINT_PREFIX) + "([\\w.$]+)");

    private static final List<RecordingLeakDetector<?>> DETECTORS = new CopyOnWriteArrayList<>();
    private static final Queue<Leak> LEAKS = new ConcurrentLinkedQueue<>();
    private static volatile String hint;

    public RecordingLeakDetector(Class<?> resourceType, int samplingInterval) {
        super(resourceType, samplingInterval);
        DETECTORS.add(this);
    }

    /** The constructor Netty's factory tries for {@code newResourceLeakDetector(type, interval, maxActive)}. */
    @SuppressWarnings("deprecation")
    public RecordingLeakDetector(Class<?> resourceType, int samplingInterval, long maxActive) {
        super(resourceType, samplingInterval, maxActive);
        DETECTORS.add(this);
    }

    /** Whether Netty built its detectors from this class (false when the JVM was started without the property). */
    public static boolean installed() {
        return !DETECTORS.isEmpty();
    }

    /** Marks resources allocated from now on as allocated by {@code testClass}; null: by no test class. */
    static void allocatingFor(String testClass) {
        hint = testClass == null ? null : HINT_PREFIX + testClass;
    }

    /**
     * Makes the leaks of everything already unreachable known, and takes every leak reported so far.
     * Netty notices a leak only when the garbage collector has cleared the buffer and a later
     * allocation polls its reference queue, so this collects garbage ({@code rounds} times) and
     * polls each detector's queue itself.
     */
    public static List<Leak> sweep(int rounds) {
        for (int i = 0; i < rounds; i++) {
            collectGarbage(Duration.ofSeconds(2));
            pollQueues();
        }
        List<Leak> leaks = new ArrayList<>();
        for (Leak leak; (leak = LEAKS.poll()) != null; ) {
            leaks.add(leak);
        }
        return leaks;
    }

    /** Puts back leaks taken by {@link #sweep} that belong to someone else. */
    static void putBack(List<Leak> leaks) {
        LEAKS.addAll(leaks);
    }

    @Override
    protected boolean needReport() {
        return true; // kept even when the log does not show ERROR from Netty
    }

    @Override
    protected Object getInitialHint(String resourceType) {
        return hint;
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
        super.reportTracedLeak(resourceType, records);
        LEAKS.add(new Leak(resourceType, records, testClassIn(records)));
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
        super.reportUntracedLeak(resourceType);
        LEAKS.add(new Leak(resourceType, "", null));
    }

    private static String testClassIn(String records) {
        // The "Created at" record, which carries the hint, is the last one and is never dropped.
        String found = null;
        for (Matcher m = HINT.matcher(records); m.find(); ) {
            found = m.group(1);
        }
        return found;
    }

    /**
     * Returns once a full collection has cleared weakly reachable objects and the Reference Handler
     * has started queueing their references: an object only this method can reach is the witness.
     * If {@code System.gc()} is disabled, allocating garbage brings young collections instead.
     */
    private static void collectGarbage(Duration bound) {
        ReferenceQueue<Object> queue = new ReferenceQueue<>();
        WeakReference<Object> witness = new WeakReference<>(new Object(), queue);
        System.gc();
        long deadline = System.nanoTime() + bound.toNanos();
        try {
            while (queue.remove(10) == null && System.nanoTime() < deadline) {
                byte[][] garbage = new byte[256][];
                for (int i = 0; i < garbage.length; i++) {
                    garbage[i] = new byte[64 * 1024];
                }
            }
            // The witness may be queued before the buffers cleared with it: give the handler a moment.
            TimeUnit.MILLISECONDS.sleep(2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        witness.clear();
    }

    /** Netty polls a detector's reference queue when it tracks a new resource; tracking one of ours does it now. */
    private static void pollQueues() {
        for (RecordingLeakDetector<?> detector : DETECTORS) {
            detector.poll();
        }
    }

    @SuppressWarnings("unchecked")
    private void poll() {
        Object probe = new Object();
        ResourceLeakTracker<Object> tracker = ((ResourceLeakDetector<Object>) (ResourceLeakDetector<?>) this).trackForcibly(probe);
        tracker.close(probe);
    }
}
