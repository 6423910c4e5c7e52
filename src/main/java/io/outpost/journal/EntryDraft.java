package io.outpost.journal;

import java.util.List;
import java.util.Objects;

/**
 * A replicated write as the gateway received it, before the journal has given it a sequence number
 * and a receipt time. The body is held in full: live, shadow and replay deliveries are all sent from
 * these stored bytes.
 *
 * @param sessionKey the session the write belongs to; {@code ""} when the service has one session
 * @param idempotencyKey the client's {@code Idempotency-Key}, or one the gateway made; unique per journal
 * @param method the request method, for example {@code POST}
 * @param pathAndQuery the request target as sent, for example {@code /orders?store=12}
 * @param headers the request headers to deliver, in order
 * @param body the request body (may be empty)
 */
public record EntryDraft(
        String sessionKey, String idempotencyKey, String method, String pathAndQuery, List<Header> headers,
        byte[] body) {

    public EntryDraft {
        Objects.requireNonNull(sessionKey, "sessionKey");
        Objects.requireNonNull(idempotencyKey, "idempotencyKey");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(pathAndQuery, "pathAndQuery");
        if (idempotencyKey.isEmpty()) {
            throw new IllegalArgumentException("idempotencyKey: \"\" (expected: non-empty)");
        }
        if (method.isEmpty()) {
            throw new IllegalArgumentException("method: \"\" (expected: non-empty)");
        }
        if (!pathAndQuery.startsWith("/")) {
            throw new IllegalArgumentException("pathAndQuery: \"" + pathAndQuery + "\" (expected: starts with /)");
        }
        headers = List.copyOf(Objects.requireNonNull(headers, "headers"));
        Objects.requireNonNull(body, "body");
    }
}
