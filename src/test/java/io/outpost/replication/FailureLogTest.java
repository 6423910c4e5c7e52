package io.outpost.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.outpost.upstream.FakeTicker;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** A failure that repeats is logged once per cause and then once a minute at most, with the count in between. */
class FailureLogTest {

    private final Logger logger = (Logger) LoggerFactory.getLogger(FailureLogTest.class);
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private final FakeTicker ticker = new FakeTicker();
    private final FailureLog failures = new FailureLog(logger, ticker, Duration.ofMinutes(1));

    @BeforeEach
    void capture() {
        logged.start();
        logger.addAppender(logged);
    }

    @AfterEach
    void release() {
        logger.detachAppender(logged);
    }

    private List<String> lines() {
        return logged.list.stream().peek(e -> assertThat(e.getLevel()).isEqualTo(Level.ERROR))
                .map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void eachCauseIsLoggedOnceAndAgainOnlyAfterTheIntervalWithItsRepeats() {
        for (int entry = 1; entry <= 50; entry++) {
            failures.error("service pos: answer of entry " + entry + " not journaled", "disk full");
            ticker.advance(Duration.ofMillis(100));
        }
        failures.error("service pos: abort of entry 51 not journaled", "segment 3 cannot be created");
        assertThat(lines()).containsExactly("service pos: answer of entry 1 not journaled: disk full",
                "service pos: abort of entry 51 not journaled: segment 3 cannot be created");

        ticker.advance(Duration.ofSeconds(55));   // a minute since "disk full" was logged
        failures.error("service pos: answer of entry 52 not journaled", "disk full");
        failures.error("service pos: answer of entry 53 not journaled", "disk full");
        assertThat(lines()).hasSize(3).last()
                .isEqualTo("service pos: answer of entry 52 not journaled: disk full (49 more times since it was last logged)");

        ticker.advance(Duration.ofMinutes(1));
        failures.error("service pos: answer of entry 54 not journaled", "disk full");
        assertThat(lines()).hasSize(4).last().asString().endsWith("disk full (1 more times since it was last logged)");
    }

    @Test
    void manyDistinctCausesStillLogEachOnce() {
        for (int i = 0; i < 40; i++) {
            failures.error("service pos: write not journaled", "cause " + i);
            failures.error("service pos: write not journaled", "cause " + i);
        }
        assertThat(lines()).hasSize(40).doesNotHaveDuplicates();
    }

    @Test
    void theIntervalMustBePositive() {
        assertThatThrownBy(() -> new FailureLog(logger, ticker, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("interval: PT0S (expected: > 0)");
    }
}
