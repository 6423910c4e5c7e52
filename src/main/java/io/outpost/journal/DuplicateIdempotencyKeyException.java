package io.outpost.journal;

/**
 * An append reused the idempotency key of an entry that is still live and not aborted. The gateway
 * answers such a retry from {@link Journal#response(String)} rather than running the write again.
 */
public final class DuplicateIdempotencyKeyException extends JournalException {

    private final String idempotencyKey;
    private final long existingSequence;

    public DuplicateIdempotencyKeyException(String idempotencyKey, long existingSequence) {
        super("idempotency key \"" + idempotencyKey + "\" is already used by entry " + existingSequence);
        this.idempotencyKey = idempotencyKey;
        this.existingSequence = existingSequence;
    }

    public String idempotencyKey() {
        return idempotencyKey;
    }

    public long existingSequence() {
        return existingSequence;
    }
}
