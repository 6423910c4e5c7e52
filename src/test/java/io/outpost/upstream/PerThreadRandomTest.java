package io.outpost.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class PerThreadRandomTest {

    /**
     * Run in a new process: hands a generator ({@code shared}: the instance {@code ThreadLocalRandom.current()}
     * returns; else {@link PerThreadRandom}) to a new thread, which prints three draws.
     */
    public static final class Draw {
        public static void main(String[] args) throws InterruptedException {
            RandomGenerator random = args[0].equals("shared") ? ThreadLocalRandom.current() : PerThreadRandom.INSTANCE;
            List<Long> drawn = new ArrayList<>();
            Thread worker = new Thread(() -> {
                for (int i = 0; i < 3; i++) {
                    drawn.add(random.nextLong());
                }
            });
            worker.start();
            worker.join();
            System.out.println(drawn);
        }
    }

    private static String drawInANewProcess(String kind) throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                Draw.class.getName(), kind).redirectErrorStream(true).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    }

    @Test
    void drawsDifferFromOneProcessToTheNextOnThreadsThatNeverSeededTheirOwn() throws Exception {
        // The pitfall this class avoids: on a thread that never called current(), the shared instance
        // draws the same numbers in every process.
        assertThat(drawInANewProcess("shared")).isEqualTo(drawInANewProcess("shared"));
        String first = drawInANewProcess("perThread");
        assertThat(first).startsWith("[");
        assertThat(drawInANewProcess("perThread")).isNotEqualTo(first);
    }

    @Test
    void boundedDrawsStayInTheirBounds() {
        for (int i = 0; i < 1000; i++) {
            assertThat(PerThreadRandom.INSTANCE.nextInt(7)).isBetween(0, 6);
            assertThat(PerThreadRandom.INSTANCE.nextLong(3)).isBetween(0L, 2L);
            assertThat(PerThreadRandom.INSTANCE.nextDouble()).isGreaterThanOrEqualTo(0).isLessThan(1);
        }
    }
}
