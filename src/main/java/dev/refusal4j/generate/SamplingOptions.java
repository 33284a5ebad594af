package dev.refusal4j.generate;

/**
 * How the next token is chosen. temperature 0 means greedy (argmax). The filters apply in the
 * order Hugging Face applies them: repetition penalty, temperature, top-k, top-p, min-p.
 *
 * <p>Every value is checked here, where the record is made: a NaN temperature or a top-p of 0 would
 * otherwise sample from nothing and answer with an empty string. The messages name the command
 * line option that sets each value.
 */
public record SamplingOptions(float temperature, int topK, float topP, float minP, float repetitionPenalty, long seed) {
    public static final SamplingOptions GREEDY = new SamplingOptions(0f, 0, 1f, 0f, 1f, 0L);

    public SamplingOptions {
        if (!(Float.isFinite(temperature) && temperature >= 0f)) {
            throw new IllegalArgumentException("--temperature " + temperature + " must be a finite number >= 0 (0 = greedy)");
        }
        if (topK < 0) throw new IllegalArgumentException("--top-k " + topK + " must be >= 0 (0 = off)");
        if (!(topP > 0f && topP <= 1f)) throw new IllegalArgumentException("--top-p " + topP + " must be in (0, 1] (1 = off)");
        if (!(minP >= 0f && minP <= 1f)) throw new IllegalArgumentException("--min-p " + minP + " must be in [0, 1] (0 = off)");
        if (!(Float.isFinite(repetitionPenalty) && repetitionPenalty > 0f)) {
            throw new IllegalArgumentException("--repetition-penalty " + repetitionPenalty + " must be a finite number > 0 (1 = off)");
        }
    }

    public boolean greedy() {
        return temperature <= 0f;
    }

    /** Checks a number of tokens to generate ({@code --max-new-tokens}). */
    public static int requireMaxNewTokens(int maxNewTokens) {
        if (maxNewTokens < 0) throw new IllegalArgumentException("--max-new-tokens " + maxNewTokens + " must be >= 0");
        return maxNewTokens;
    }
}
