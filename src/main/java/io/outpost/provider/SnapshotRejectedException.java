package io.outpost.provider;

/**
 * Thrown by a provider's listener that could not apply a valid snapshot (a service that cannot be
 * built, a key file that cannot be read). The provider keeps the last good snapshot, logs the
 * message, and reads the file again on its next change, even when its bytes are the same: what was
 * missing may have been fixed outside the file.
 */
public final class SnapshotRejectedException extends RuntimeException {

    public SnapshotRejectedException(String message, Throwable cause) {
        super(message, cause);
    }
}
