package dev.refusal4j;

/**
 * The one way library code reports progress: {@link #done} with the units finished so far in this
 * call (prompts, candidates, bytes: each method that takes one says which); the command line shows
 * it with {@link Progress}. An exception thrown here aborts the work, so a caller can also cancel.
 */
@FunctionalInterface
public interface ProgressListener {
    ProgressListener NONE = done -> {};

    void done(long done);

    /** How many units there are, where only the callee knows it (an export's bytes); called before the first {@link #done}. */
    default void total(long total) {}
}
