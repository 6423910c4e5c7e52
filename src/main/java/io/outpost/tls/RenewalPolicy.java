package io.outpost.tls;

import java.time.Duration;
import java.time.Instant;

/**
 * When a certificate must be obtained or renewed: none yet, or fewer than 30 days left (Let's
 * Encrypt's advice for its 90-day certificates, and Traefik's default), or, for a certificate that
 * lives less than 90 days, once a third of its life is left (Let's Encrypt's advice in general), so
 * that a short-lived certificate is not renewed at every check. Pure; time is passed in.
 */
final class RenewalPolicy {

    static final Duration RENEW_BEFORE = Duration.ofDays(30);

    enum Decision { OBTAIN, RENEW, KEEP }

    private RenewalPolicy() {}

    /** {@code notAfter} is null when there is no certificate. */
    static Decision decide(Instant notAfter, Instant now) {
        return decide(null, notAfter, now);
    }

    /** {@code notAfter} is null when there is no certificate; {@code notBefore} is null when unknown. */
    static Decision decide(Instant notBefore, Instant notAfter, Instant now) {
        if (notAfter == null) {
            return Decision.OBTAIN;
        }
        return now.isBefore(renewAt(notBefore, notAfter)) ? Decision.KEEP : Decision.RENEW;
    }

    static Instant renewAt(Instant notAfter) {
        return renewAt(null, notAfter);
    }

    static Instant renewAt(Instant notBefore, Instant notAfter) {
        Duration before = RENEW_BEFORE;
        if (notBefore != null && notBefore.isBefore(notAfter)) {
            Duration third = Duration.between(notBefore, notAfter).dividedBy(3);
            if (third.compareTo(before) < 0) {
                before = third;
            }
        }
        return notAfter.minus(before);
    }
}
