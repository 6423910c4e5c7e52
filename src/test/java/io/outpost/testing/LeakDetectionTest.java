package io.outpost.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.outpost.testing.RecordingLeakDetector.Leak;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/** The test JVM's leak detection: a leaked buffer is reported, named after its test class, and fails that class. */
class LeakDetectionTest {

    /** Set while {@link #aClassThatLeaksABufferFails} runs {@link LeakingClass}, which is no test on its own. */
    private static volatile boolean runningLeakingClass;

    @Test
    void everyBufferIsTrackedByTheRecordingDetector() {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.buffer(16);
        try {
            assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
            assertThat(RecordingLeakDetector.installed()).as("-Dio.netty.customResourceLeakDetector in surefire's argLine").isTrue();
            assertThat(buf.getClass().getSimpleName()).isEqualTo("AdvancedLeakAwareByteBuf");
        } finally {
            buf.release();
        }
    }

    @Test
    void aLeakedBufferIsReportedWithTheClassThatAllocatedIt() {
        String marker = "leaked-on-purpose-" + UUID.randomUUID();
        leak(marker);

        List<Leak> others = new ArrayList<>();
        Leak ours = null;
        for (Leak leak : RecordingLeakDetector.sweep(1)) {
            if (leak.records().contains(marker)) {
                ours = leak;
            } else {
                others.add(leak);
            }
        }
        RecordingLeakDetector.putBack(others); // not this test's: they still fail the class

        assertThat(ours).as("the leak of the buffer touched with " + marker).isNotNull();
        assertThat(ours.resourceType()).isEqualTo("ByteBuf");
        assertThat(ours.testClass()).isEqualTo(LeakDetectionTest.class.getName());
        assertThat(ours.toString()).startsWith("LEAK: ByteBuf.release() was not called")
                .contains("allocated while " + LeakDetectionTest.class.getName() + " ran")
                .contains("Created at:");
    }

    @Test
    void aClassThatLeaksABufferFails() {
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        runningLeakingClass = true;
        try {
            LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request()
                    .selectors(selectClass(LeakingClass.class))
                    .configurationParameter("junit.jupiter.extensions.autodetection.enabled", "true")
                    .build(), listener);
        } finally {
            runningLeakingClass = false;
        }

        TestExecutionSummary summary = listener.getSummary();
        assertThat(summary.getTestsSucceededCount()).as("the test itself passes").isEqualTo(1);
        assertThat(summary.getFailures()).singleElement().satisfies(failure -> {
            assertThat(failure.getTestIdentifier().isContainer()).as("the class fails, after its tests").isTrue();
            assertThat(failure.getTestIdentifier().getLegacyReportingName()).isEqualTo(LeakingClass.class.getName());
            assertThat(failure.getException()).isInstanceOf(AssertionError.class)
                    .hasMessageContaining("allocated by " + LeakingClass.class.getName())
                    .hasMessageContaining("LEAK: ByteBuf.release() was not called")
                    .hasMessageContaining(LeakingClass.MARKER);
        });
    }

    private static void leak(String marker) {
        PooledByteBufAllocator.DEFAULT.buffer(16).writeInt(1).touch(marker);
    }

    /** Allocates a buffer and never releases it. */
    static class LeakingClass {
        static final String MARKER = "leaked-by-LeakingClass";

        @Test
        void allocatesAndForgets() {
            Assumptions.assumeTrue(runningLeakingClass, "run by LeakDetectionTest only");
            leak(MARKER);
        }
    }
}
