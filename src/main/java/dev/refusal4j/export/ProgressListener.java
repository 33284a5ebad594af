package dev.refusal4j.export;

/**
 * Receives progress of a long export. An exception thrown from a callback aborts the export (which
 * then cleans up after itself), so a caller can also use it to cancel.
 */
public interface ProgressListener {
    ProgressListener NONE = new ProgressListener() {
        @Override
        public void bytes(String tensor, long done, long total) {}
    };

    /** {@code done} of {@code total} output bytes are written; {@code tensor} is the one in progress. */
    void bytes(String tensor, long done, long total);

    /** A message for the user (a warning or a step). */
    default void note(String message) {}
}
