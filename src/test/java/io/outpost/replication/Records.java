package io.outpost.replication;

import io.outpost.upstream.Ticker;
import io.outpost.upstream.resilience.Backoff;
import java.time.Duration;
import java.util.SplittableRandom;
import org.slf4j.LoggerFactory;

/** The answer records' backoff of a replicator built by a test: the defaults, on the system ticker. */
final class Records {

    private Records() {
    }

    static RecordBackoff system() {
        return new RecordBackoff("pos", LoggerFactory.getLogger(Replicator.class), Ticker.system(),
                new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), new SplittableRandom(1)));
    }
}
