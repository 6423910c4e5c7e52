package io.outpost.journal;

import java.util.Objects;

/**
 * What one replica made of one entry. The journal keeps every answer so that divergence (one replica
 * accepted what another rejected) stays visible. Only an answered outcome moves the replica past the
 * entry; {@link #NOT_REACHED} is kept for the record (the latest per replica) and the entry stays pending
 * for that replica.
 *
 * @param status the HTTP status the replica answered, or {@link #NOT_REACHED}
 */
public record Outcome(String replica, int status, long atMillis) {

    /** The replica was not reached: connect failure, reset or timeout before headers, 502/503/504. */
    public static final int NOT_REACHED = 0;

    public Outcome {
        Objects.requireNonNull(replica, "replica");
        checkStatus(status);
    }

    /** True when the replica processed the entry (any real response). */
    public boolean answered() {
        return status != NOT_REACHED;
    }

    /** Rejects a status that is neither an HTTP status nor {@link #NOT_REACHED}. */
    public static int checkStatus(int status) {
        if (status != NOT_REACHED && (status < 100 || status > 599)) {
            throw new IllegalArgumentException("status: " + status + " (expected: 100..599 or NOT_REACHED (0))");
        }
        return status;
    }
}
