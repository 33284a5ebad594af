package dev.refusal4j.evaluate;

/**
 * A mean cross-entropy as the paper reports it (evaluate_loss.py writes {@code ce_loss},
 * {@code perplexity}, {@code n_tokens}): the sum of −log p(token) over every counted token divided
 * by their number, so long sequences weigh more than short ones.
 *
 * @param loss      nats per counted token; NaN when nothing was counted
 * @param tokens    how many predictions were counted
 * @param sequences how many sequences (documents, completions) were read
 * @param truncated how many of them were cut to fit the window or the model's context
 */
public record CrossEntropy(double loss, long tokens, int sequences, int truncated) {
    /** exp(loss), the paper's {@code perplexity}. */
    public double perplexity() {
        return Math.exp(loss);
    }

    /** The result of a sum of −log p over {@code tokens} predictions. */
    static CrossEntropy of(double sum, long tokens, int sequences, int truncated) {
        return new CrossEntropy(tokens == 0 ? Double.NaN : sum / tokens, tokens, sequences, truncated);
    }
}
