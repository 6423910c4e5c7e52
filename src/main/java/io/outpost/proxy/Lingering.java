package io.outpost.proxy;

import java.time.Duration;

/**
 * How long a client connection the gateway closes with part of the request still unread is kept
 * reading (and discarding) after the answer, as nginx's {@code lingering_close} does. Closing a
 * socket with unread input makes the kernel send a reset, which can destroy the answer before the
 * client reads it; the client then sees "connection reset" instead of, say, its 413.
 *
 * @param time    the most the connection lingers, however the client keeps sending (nginx's {@code lingering_time})
 * @param timeout how long it lingers without a byte from the client (nginx's {@code lingering_timeout})
 */
public record Lingering(Duration time, Duration timeout) {

    /** nginx's defaults. */
    public static final Lingering DEFAULTS = new Lingering(Duration.ofSeconds(30), Duration.ofSeconds(5));

    public Lingering {
        if (time == null || time.isNegative() || time.isZero()) {
            throw new IllegalArgumentException("time: " + time + " (expected: > 0)");
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout: " + timeout + " (expected: > 0)");
        }
    }
}
