package io.outpost.replication;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Set;

/** The headers every delivery carries (G4, G6), and the request headers a journal entry keeps. */
final class DeliveryHeaders {

    static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    static final String ORIGINAL_TIME = "X-Original-Time";
    static final String DELIVERY = "X-Outpost-Delivery";
    static final String TRUNCATED = "X-Outpost-Response-Truncated";

    static final String LIVE = "live";
    static final String SHADOW = "shadow";
    static final String REPLAY = "replay";

    private static final DateTimeFormatter RFC3339_MILLIS =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);

    /** Set per delivery or per hop, so not stored with the entry. */
    private static final Set<String> NOT_STORED = Set.of("host", "content-length", "transfer-encoding", "connection",
            "keep-alive", "te", "trailer", "upgrade", "proxy-connection", "expect", "idempotency-key",
            "x-original-time", "x-outpost-delivery");

    /** Set per answer, so not stored with the response. */
    private static final Set<String> NOT_STORED_RESPONSE = Set.of("content-length", "transfer-encoding",
            "connection", "keep-alive", "te", "trailer", "upgrade", "proxy-connection");

    private DeliveryHeaders() {
    }

    /** RFC 3339 in UTC with milliseconds, for example {@code 2024-05-01T09:30:00.123Z}. */
    static String originalTime(long epochMillis) {
        return RFC3339_MILLIS.format(Instant.ofEpochMilli(epochMillis));
    }

    static boolean stored(String name) {
        return !NOT_STORED.contains(name.toLowerCase(Locale.ROOT));
    }

    static boolean storedInResponse(String name) {
        return !NOT_STORED_RESPONSE.contains(name.toLowerCase(Locale.ROOT));
    }
}
