package io.outpost.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Choosing between the Prometheus text format (0) and OpenMetrics (1) from an {@code Accept} header. */
class ContentNegotiationTest {

    private static final int TEXT = 0;
    private static final int OPEN = 1;

    private final ContentNegotiation formats = new ContentNegotiation("text/plain", "application/openmetrics-text");

    private int choose(String accept) {
        return formats.choose(accept);
    }

    @Test
    void whatPrometheusSendsGetsOpenMetrics() {
        assertThat(choose("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
                + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")).isEqualTo(OPEN);
        assertThat(choose("application/openmetrics-text;version=1.0.0;escaping=allow-utf-8,"
                + "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1"))
                .isEqualTo(OPEN);
    }

    @Test
    void aWeightOfZeroMakesATypeUnacceptable() {
        assertThat(choose("application/openmetrics-text;q=0, text/plain")).isEqualTo(TEXT);
        assertThat(choose("application/openmetrics-text;q=0.0, */*")).isEqualTo(TEXT);
        assertThat(choose("application/openmetrics-text ; Q=0.000 , text/plain;q=0.001")).isEqualTo(TEXT);
        assertThat(choose("text/plain;q=0, */*;q=0.5")).isEqualTo(OPEN);
    }

    @Test
    void theHighestWeightWinsAndATieGoesToTheRangeListedFirst() {
        assertThat(choose("text/plain;q=0.9, application/openmetrics-text;q=0.3")).isEqualTo(TEXT);
        assertThat(choose("text/plain;q=0.3, application/openmetrics-text;q=0.9")).isEqualTo(OPEN);
        assertThat(choose("application/openmetrics-text;q=0.5, text/plain;q=0.5")).isEqualTo(OPEN);
        assertThat(choose("text/plain;q=0.5, application/openmetrics-text;q=0.5")).isEqualTo(TEXT);
        assertThat(choose("application/openmetrics-text, text/plain")).isEqualTo(OPEN);
        // One range matches both: the type offered first.
        assertThat(choose("*/*")).isEqualTo(TEXT);
    }

    @Test
    void theMostSpecificRangeGivesATypeItsWeight() {
        assertThat(choose("*/*;q=0.1, application/*;q=0.2, application/openmetrics-text;q=0.3, text/*;q=0.25"))
                .isEqualTo(OPEN);
        assertThat(choose("application/openmetrics-text;q=0, application/*")).isEqualTo(TEXT);
        assertThat(choose("application/*, application/openmetrics-text;q=0")).isEqualTo(TEXT);
        assertThat(choose("text/*;q=0.2, application/*")).isEqualTo(OPEN);
        // An equally specific range later in the header does not override the first.
        assertThat(choose("application/openmetrics-text;q=0.9, application/openmetrics-text;q=0, text/plain;q=0.5"))
                .isEqualTo(OPEN);
    }

    @Test
    void typesMatchWithoutRegardToCaseAndParametersOtherThanQ() {
        assertThat(choose("APPLICATION/OpenMetrics-Text")).isEqualTo(OPEN);
        assertThat(choose("application/openmetrics-text;version=\"1.0.0, or so\";q=1, text/plain;q=0.5")).isEqualTo(OPEN);
        assertThat(choose("text/plain;charset=\"a;q=0\", application/openmetrics-text;q=0.9")).isEqualTo(TEXT);
    }

    @Test
    void noHeaderOrNothingAcceptableGetsTheFirstType() {
        assertThat(choose(null)).isEqualTo(TEXT);
        assertThat(choose("")).isEqualTo(TEXT);
        assertThat(choose("application/json")).isEqualTo(TEXT);
        assertThat(choose("application/openmetrics-text;q=0, text/plain;q=0")).isEqualTo(TEXT);
        assertThat(choose("application/openmetrics-text;q=0")).isEqualTo(TEXT);
    }

    @Test
    void malformedRangesAreSkippedAndTheRestStillCount() {
        assertThat(choose("application/openmetrics-text;q=2, text/plain;q=0.1")).isEqualTo(TEXT);
        assertThat(choose("application/openmetrics-text;q=0.5.5, text/plain;q=0.1")).isEqualTo(TEXT);
        assertThat(choose("application/openmetrics-text;q=0.1234, text/plain;q=0.1")).isEqualTo(TEXT);
        assertThat(choose("application/openmetrics-text;q=, text/plain;q=0.1")).isEqualTo(TEXT);
        assertThat(choose("application/openmetrics-text;level, text/plain;q=0.1")).isEqualTo(TEXT);
        assertThat(choose("application, text/plain;q=0, application/openmetrics-text;q=0.2")).isEqualTo(OPEN);
        assertThat(choose("*/openmetrics-text, text/plain;q=0.1")).isEqualTo(TEXT);
        assertThat(choose(",, ;q=1, application/openmetrics-text @x, application/openmetrics-text;q=0.2"))
                .isEqualTo(OPEN);
        assertThat(choose("application/openmetrics-text;v=\"unterminated, text/plain")).isEqualTo(TEXT);
        assertThat(choose("application/openmetrics-text;q=0.2, text/plain;v=\"unterminated, */*")).isEqualTo(OPEN);
    }

    @Test
    void qValuesAreReadAsThousandths() {
        assertThat(ContentNegotiation.qvalue("0", 0, 1)).isEqualTo(0);
        assertThat(ContentNegotiation.qvalue("1", 0, 1)).isEqualTo(1000);
        assertThat(ContentNegotiation.qvalue("1.", 0, 2)).isEqualTo(1000);
        assertThat(ContentNegotiation.qvalue("0.5", 0, 3)).isEqualTo(500);
        assertThat(ContentNegotiation.qvalue("0.125", 0, 5)).isEqualTo(125);
        assertThat(ContentNegotiation.qvalue("1.000", 0, 5)).isEqualTo(1000);
        assertThat(ContentNegotiation.qvalue("1.001", 0, 5)).isEqualTo(-1);
        assertThat(ContentNegotiation.qvalue("0.x", 0, 3)).isEqualTo(-1);
        assertThat(ContentNegotiation.qvalue("-1", 0, 2)).isEqualTo(-1);
    }

    @Test
    void anOfferedTypeMustBeTypeSlashSubtype() {
        assertThatThrownBy(() -> new ContentNegotiation("text")).hasMessage("offered[0]: \"text\" (expected: type/subtype)");
        assertThatThrownBy(ContentNegotiation::new).hasMessage("offered: none (expected: at least one media type)");
    }
}
