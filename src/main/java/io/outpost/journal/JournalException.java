package io.outpost.journal;

/**
 * The journal could not make a write durable, or could not open. The message names the file or
 * directory and the cause, so that an operator can act on it (a full disk, a read-only mount).
 */
public class JournalException extends RuntimeException {

    public JournalException(String message) {
        super(message);
    }

    public JournalException(String message, Throwable cause) {
        super(message, cause);
    }
}
