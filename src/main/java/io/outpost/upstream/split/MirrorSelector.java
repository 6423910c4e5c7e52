package io.outpost.upstream.split;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Decides which requests are mirrored, deterministically, as Traefik's mirroring counter does:
 * at 10% exactly one request in ten is chosen (requests 10, 20, 30, ...), not about one in ten.
 * Shadow traffic to a replica is then predictable in tests and in capacity plans. Lock-free.
 */
public final class MirrorSelector {

    private static final long SCALE = 1_000_000L;

    private final long partsPerMillion;
    private final AtomicLong counter = new AtomicLong();

    /** @param percent share of requests to mirror, 0 to 100; fractions allowed (0.5 = one in 200) */
    public MirrorSelector(double percent) {
        if (!(percent >= 0 && percent <= 100)) {
            throw new IllegalArgumentException("percent: " + percent + " (expected: 0-100)");
        }
        this.partsPerMillion = Math.round(percent * (SCALE / 100));
    }

    /** Whether this request is mirrored. Call once per request. */
    public boolean shouldMirror() {
        // The pattern repeats every SCALE requests; m * ppm stays far below overflow.
        long m = Long.remainderUnsigned(counter.getAndIncrement(), SCALE);
        // Request m+1 is chosen when floor((m+1) * p) passes an integer that floor(m * p) had not.
        return (m + 1) * partsPerMillion / SCALE > m * partsPerMillion / SCALE;
    }
}
