package io.outpost.journal;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The response to the original write, kept so that a client retrying with the same
 * {@code Idempotency-Key} gets the same answer without the write running again. Bodies over
 * {@link #MAX_BODY} are not kept: the response is marked {@link #truncated()} instead.
 */
public record StoredResponse(int status, List<Header> headers, byte[] body, boolean truncated) {

    /** The largest response body the journal stores (64 KiB). */
    public static final int MAX_BODY = 64 * 1024;

    public StoredResponse {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("status: " + status + " (expected: 100..599)");
        }
        headers = List.copyOf(headers);
        Objects.requireNonNull(body, "body");
        if (body.length > MAX_BODY) {
            throw new IllegalArgumentException("body: " + body.length + " bytes (expected: <= " + MAX_BODY
                    + "; use StoredResponse.of to truncate)");
        }
        if (truncated && body.length > 0) {
            throw new IllegalArgumentException("body: " + body.length + " bytes (expected: empty when truncated)");
        }
    }

    /** A stored response; a body over {@link #MAX_BODY} is dropped and the response marked truncated. */
    public static StoredResponse of(int status, List<Header> headers, byte[] body) {
        boolean tooLarge = body.length > MAX_BODY;
        return new StoredResponse(status, headers, tooLarge ? new byte[0] : body, tooLarge);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StoredResponse r && status == r.status && truncated == r.truncated
                && headers.equals(r.headers) && Arrays.equals(body, r.body);
    }

    @Override
    public int hashCode() {
        return Objects.hash(status, headers, truncated) * 31 + Arrays.hashCode(body);
    }

    @Override
    public String toString() {
        return "StoredResponse[" + status + (truncated ? " truncated" : " body=" + body.length + "B") + "]";
    }
}
