package io.outpost.tls;

import java.time.Duration;
import java.time.Instant;

/**
 * When a certificate must be obtained or renewed: none yet, or fewer than 30 days left (Let's
 * Encrypt's advice for its 90-day certificates, and Traefik's default). Pure; time is passed in.
 */
final class RenewalPolicy {

    static final Duration RENEW_BEFORE = Duration.ofDays(30);

    enum Decision { OBTAIN, RENEW, KEEP }

    private RenewalPolicy() {}

    /** {@code notAfter} is null when there is no certificate. */
    static Decision decide(Instant notAfter, Instant now) {
        if (notAfter == null) {
            return Decision.OBTAIN;
        }
        return now.isBefore(renewAt(notAfter)) ? Decision.KEEP : Decision.RENEW;
    }

    static Instant renewAt(Instant notAfter) {
        return notAfter.minus(RENEW_BEFORE);
    }
}
