package dev.refusal4j.select;

import dev.refusal4j.tensor.LogSoftmax;

/**
 * The paper's refusal score: log-odds of the next token being a refusal token at the last prompt
 * position, score = log(p + eps) - log(1 - p + eps) with eps = 1e-8 and p the total probability of
 * the refusal tokens (for example how the model spells "I" and "As" first). All in float64.
 */
public final class RefusalScore {
    public static final double EPSILON = 1e-8;

    private RefusalScore() {}

    public static double fromProbability(double p) {
        return Math.log(p + EPSILON) - Math.log(1.0 - p + EPSILON);
    }

    /** Score from one row of logits: {@code logits[offset .. offset + vocab)}. */
    public static double fromLogits(float[] logits, int offset, int vocab, int[] refusalTokens) {
        return fromProbability(probability(logits, offset, vocab, refusalTokens));
    }

    public static double fromLogits(float[] logits, int[] refusalTokens) {
        return fromLogits(logits, 0, logits.length, refusalTokens);
    }

    /**
     * Softmax probability mass of the given tokens, computed stably (shifted by the max logit).
     * A token listed twice counts twice, as indexing a tensor with a repeated id does in the official code.
     */
    public static double probability(float[] logits, int offset, int vocab, int[] tokens) {
        double max = LogSoftmax.max(logits, offset, vocab);
        double sum = LogSoftmax.sumExp(logits, offset, vocab, max);
        double mass = 0;
        for (int t : tokens) {
            if (t < 0 || t >= vocab) throw new IllegalArgumentException("refusal token id " + t + " is outside the vocabulary of " + vocab);
            mass += Math.exp(logits[offset + t] - max);
        }
        return mass / sum;
    }
}
