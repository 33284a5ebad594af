package dev.refusal4j.prompts;

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

    /**
     * Disjoint sets of the given sizes from one pool (for example train, val and test from one
     * file): one sample of the total size, cut in order.
     */
    public List<List<Prompt>> split(List<Prompt> prompts, String source, int... sizes) {
        int total = 0;
        for (int n : sizes) {
            if (n < 0) throw new IllegalArgumentException("set sizes must not be negative, got " + n);
            total += n;
        }
        if (total > prompts.size()) {
            throw new IllegalArgumentException(source + ": the sets asked for need " + total + " distinct prompts "
                    + java.util.Arrays.toString(sizes) + " but it has only " + prompts.size());
        }
        List<Prompt> drawn = random.sample(prompts, total);
        List<List<Prompt>> parts = new java.util.ArrayList<>(sizes.length);
        int from = 0;
        for (int n : sizes) {
            parts.add(List.copyOf(drawn.subList(from, from + n)));
            from += n;
        }
        return List.copyOf(parts);
    }

    /** Like {@link #sample} but takes every prompt when there are fewer than n (for optional caps). */
    public List<Prompt> sampleAtMost(List<Prompt> prompts, int n) {
        return List.copyOf(random.sample(prompts, Math.min(n, prompts.size())));
    }
}
