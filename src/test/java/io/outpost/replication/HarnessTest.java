package io.outpost.replication;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** A test on a {@link Harness}: its directory, and the harness it started, closed after each test. */
abstract class HarnessTest {

    @TempDir
    Path dir;

    Harness h;

    @AfterEach
    void closeHarness() {
        if (h != null) {
            h.close();
        }
    }
}
