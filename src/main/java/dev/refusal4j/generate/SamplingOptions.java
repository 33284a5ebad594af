package dev.refusal4j.generate;

/**
 * How the next token is chosen. temperature 0 means greedy (argmax). The filters apply in the
 * order Hugging Face applies them: repetition penalty, temperature, top-k, top-p, min-p.
 */
public record SamplingOptions(float temperature, int topK, float topP, float minP, float repetitionPenalty, long seed) {
    public static final SamplingOptions GREEDY = new SamplingOptions(0f, 0, 1f, 0f, 1f, 0L);

    public boolean greedy() {
        return temperature <= 0f;
    }
}
