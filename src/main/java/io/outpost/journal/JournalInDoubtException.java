package io.outpost.journal;

/**
 * The journal cannot tell whether this write was stored: writing it failed, and so did cutting it back off the
 * log, so its records may be on disk; or it was stored, but the journal failed before it could apply it. Such a
 * write may come back in doubt when the journal is opened again, and is then committed and delivered like any write
 * a crash left undecided. Reporting it as not applied could be false.
 */
public final class JournalInDoubtException extends JournalException {

    public JournalInDoubtException(String message, Throwable cause) {
        super(message, cause);
    }
}
