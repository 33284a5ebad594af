package dev.refusal4j.data.prompts;

import java.util.List;

/**
 * Draws the prompt sets of one run from one seeded stream, in the order the caller asks for them.
 * Asking in the paper's order (harmful train, harmless train, harmful val, harmless val, then the
 * harmless test set) with seed 42 reproduces the paper's choices.
 */
public final class PromptSets {
    private final PythonRandom random;

    public PromptSets(long seed) {
        this.random = new PythonRandom(seed);
    }

    /**
     * n prompts drawn without replacement from {@code prompts}. {@code source} names where they
     * came from (a file or "built-in harmful prompts") and {@code option} the option that asked
     * for n, both for the error when there are too few.
     */
    public List<Prompt> sample(List<Prompt> prompts, int n, String source, String option) {
        if (n < 0) throw new IllegalArgumentException(option + " must not be negative, got " + n);
        if (n > prompts.size()) {
            throw new IllegalArgumentException(source + ": " + option + " asks for " + n + " prompts but it has only "
                    + prompts.size() + " (lower " + option + " or give a larger file)");
        }
        return List.copyOf(random.sample(prompts, n));
    }

    /** Like {@link #sample} but takes every prompt when there are fewer than n (for optional caps). */
    public List<Prompt> sampleAtMost(List<Prompt> prompts, int n) {
        return List.copyOf(random.sample(prompts, Math.min(n, prompts.size())));
    }
}
