package io.outpost.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RenewalPolicyTest {

    private final Instant notAfter = Instant.parse("2030-03-01T00:00:00Z");

    @Test
    void obtainsWhenThereIsNoCertificate() {
        assertThat(RenewalPolicy.decide(null, notAfter)).isEqualTo(RenewalPolicy.Decision.OBTAIN);
    }

    @Test
    void keepsUntilThirtyDaysBeforeExpiryThenRenews() {
        assertThat(RenewalPolicy.decide(notAfter, notAfter.minus(Duration.ofDays(31)))).isEqualTo(RenewalPolicy.Decision.KEEP);
        assertThat(RenewalPolicy.decide(notAfter, notAfter.minus(Duration.ofDays(30)).minusMillis(1)))
                .isEqualTo(RenewalPolicy.Decision.KEEP);
        assertThat(RenewalPolicy.decide(notAfter, notAfter.minus(Duration.ofDays(30)))).isEqualTo(RenewalPolicy.Decision.RENEW);
        assertThat(RenewalPolicy.decide(notAfter, notAfter.plusSeconds(1))).isEqualTo(RenewalPolicy.Decision.RENEW);
    }

    @Test
    void aCertificateShorterThanNinetyDaysIsKeptUntilAThirdOfItsLifeIsLeft() {
        Instant notBefore = notAfter.minus(Duration.ofDays(6));
        assertThat(RenewalPolicy.decide(notBefore, notAfter, notBefore.plus(Duration.ofHours(1))))
                .isEqualTo(RenewalPolicy.Decision.KEEP);
        assertThat(RenewalPolicy.decide(notBefore, notAfter, notAfter.minus(Duration.ofDays(2)).minusMillis(1)))
                .isEqualTo(RenewalPolicy.Decision.KEEP);
        assertThat(RenewalPolicy.decide(notBefore, notAfter, notAfter.minus(Duration.ofDays(2))))
                .isEqualTo(RenewalPolicy.Decision.RENEW);
    }

    @Test
    void aNinetyDayOrLongerCertificateStillRenewsThirtyDaysBeforeExpiry() {
        Instant notBefore = notAfter.minus(Duration.ofDays(365));
        assertThat(RenewalPolicy.decide(notBefore, notAfter, notAfter.minus(Duration.ofDays(31))))
                .isEqualTo(RenewalPolicy.Decision.KEEP);
        assertThat(RenewalPolicy.decide(notBefore, notAfter, notAfter.minus(Duration.ofDays(30))))
                .isEqualTo(RenewalPolicy.Decision.RENEW);
    }
}
