package io.outpost.journal;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A durable journal entry: one replicated write with its place in the journal's order.
 *
 * @param sequence monotonic per journal; journal order is the order replicas receive a session's writes in
 * @param receivedAtMillis when the gateway accepted the write (epoch millis), sent as {@code X-Original-Time}
 */
public record Entry(
        long sequence, String sessionKey, String idempotencyKey, String method, String pathAndQuery,
        List<Header> headers, byte[] body, long receivedAtMillis) {

    public Entry {
        Objects.requireNonNull(sessionKey, "sessionKey");
        Objects.requireNonNull(idempotencyKey, "idempotencyKey");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(pathAndQuery, "pathAndQuery");
        headers = List.copyOf(headers);
        Objects.requireNonNull(body, "body");
    }

    /** The entry a draft becomes once the journal has numbered and stamped it. */
    public static Entry of(long sequence, EntryDraft draft, long receivedAtMillis) {
        return new Entry(sequence, draft.sessionKey(), draft.idempotencyKey(), draft.method(), draft.pathAndQuery(),
                draft.headers(), draft.body(), receivedAtMillis);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Entry e && sequence == e.sequence && receivedAtMillis == e.receivedAtMillis
                && sessionKey.equals(e.sessionKey) && idempotencyKey.equals(e.idempotencyKey)
                && method.equals(e.method) && pathAndQuery.equals(e.pathAndQuery) && headers.equals(e.headers)
                && Arrays.equals(body, e.body);
    }

    @Override
    public int hashCode() {
        return Objects.hash(sequence, idempotencyKey) * 31 + Arrays.hashCode(body);
    }

    @Override
    public String toString() {
        return "Entry[" + sequence + " " + method + " " + pathAndQuery + " session=" + sessionKey
                + " key=" + idempotencyKey + " body=" + body.length + "B]";
    }
}
