package io.outpost.journal;

/**
 * The write's fate is not settled by the journal that failed it: writing it failed, and so did cutting it back off
 * the log, so its records may be on disk ({@link #stored()} is false); or it was stored, but the journal failed
 * before it could apply it ({@link #stored()} is true). Such a write may (or, when stored, does) come back in doubt
 * when the journal is opened again, and is then committed and delivered like any write a crash left undecided.
 * Reporting it as not applied could be false.
 */
public final class JournalInDoubtException extends JournalException {

    private final boolean stored;

    /** A write whose records may or may not be on disk. */
    public JournalInDoubtException(String message, Throwable cause) {
        this(message, false, cause);
    }

    private JournalInDoubtException(String message, boolean stored, Throwable cause) {
        super(message, cause);
        this.stored = stored;
    }

    /** A write whose records may be on disk: writing it failed and it could not be cut back. */
    public static JournalInDoubtException maybeStored(String message, Throwable cause) {
        return new JournalInDoubtException(message, false, cause);
    }

    /** A write whose records are on disk, durably, but which the journal failed to apply or complete. */
    public static JournalInDoubtException stored(String message, Throwable cause) {
        return new JournalInDoubtException(message, true, cause);
    }

    /**
     * True when the write's records are known to be on disk, so that it comes back in doubt at the next open; false
     * when they may be.
     */
    public boolean stored() {
        return stored;
    }
}
