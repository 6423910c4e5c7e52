package io.outpost.testing;

import io.outpost.testing.RecordingLeakDetector.Leak;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class that leaks a Netty buffer (or any resource Netty tracks). Registered for every
 * test through {@code META-INF/services} and {@code junit-platform.properties}; the test JVM runs
 * Netty's leak detection at the paranoid level with {@link RecordingLeakDetector} (pom.xml).
 *
 * <p>After each top-level test class, one full garbage collection makes its unreachable buffers
 * known, and the class fails with every leak reported since the previous class ended. Each leak
 * names the class that allocated the buffer, so a buffer that stays reachable a while longer (a
 * connection closed after the class ended) fails a later class with the right culprit in the
 * message; whatever is left at the end of the run fails the run. Classes run one at a time: this
 * attribution would need rethinking for parallel test execution.
 */
public final class LeakDetection implements BeforeAllCallback, AfterAllCallback {

    private static final Deque<String> RUNNING = new ArrayDeque<>();

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getRoot().getStore(ExtensionContext.Namespace.create(LeakDetection.class))
                .getOrComputeIfAbsent(EndOfRun.class, k -> new EndOfRun(), EndOfRun.class);
        if (topLevel(context)) {
            enter(context.getRequiredTestClass().getName());
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (!topLevel(context)) {
            return;
        }
        String testClass = context.getRequiredTestClass().getName();
        List<Leak> leaks;
        try {
            // Not installed: no buffer yet, or a JVM started without the property (an IDE's own runner).
            leaks = RecordingLeakDetector.installed() ? RecordingLeakDetector.sweep(1) : List.of();
        } finally {
            exit(testClass);
        }
        if (!leaks.isEmpty()) {
            throw new AssertionError(describe(leaks, testClass));
        }
    }

    private static boolean topLevel(ExtensionContext context) {
        return context.getParent().flatMap(ExtensionContext::getParent).isEmpty();
    }

    private static synchronized void enter(String testClass) {
        RUNNING.push(testClass);
        RecordingLeakDetector.allocatingFor(testClass);
    }

    private static synchronized void exit(String testClass) {
        RUNNING.remove(testClass);
        RecordingLeakDetector.allocatingFor(RUNNING.peek());
    }

    static String describe(List<Leak> leaks, String testClass) {
        String culprits = leaks.stream()
                .map(l -> l.testClass() == null ? "no test class" : l.testClass())
                .distinct()
                .collect(Collectors.joining(", "));
        String header = leaks.size() + " leaked resource(s), allocated by " + culprits
                + (testClass == null ? "; found at the end of the run" : "; found after " + testClass + " ran")
                + " (io.netty.leakDetection.level=paranoid; each report says where the resource was created and last used)";
        return leaks.stream().limit(5).map(Leak::toString)
                .collect(Collectors.joining(System.lineSeparator(), header + System.lineSeparator(), ""));
    }

    /** Closed by JUnit after the last test class: what became garbage only then still fails the run. */
    private static final class EndOfRun implements ExtensionContext.Store.CloseableResource {
        @Override
        public void close() {
            if (!RecordingLeakDetector.installed()) {
                return;
            }
            List<Leak> leaks = RecordingLeakDetector.sweep(3);
            if (!leaks.isEmpty()) {
                throw new AssertionError(describe(leaks, null));
            }
        }
    }
}
