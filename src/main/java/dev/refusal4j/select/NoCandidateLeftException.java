package dev.refusal4j.select;

/** Every candidate direction was filtered out; the message says by which filter and what to relax. */
public final class NoCandidateLeftException extends IllegalStateException {
    public NoCandidateLeftException(String message) {
        super(message);
    }
}
