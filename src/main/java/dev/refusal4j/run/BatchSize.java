package dev.refusal4j.run;

import dev.refusal4j.model.ModelConfig;

/** {@code --batch-size auto}: the largest batch whose activations and KV cache fit a quarter of the heap. */
public final class BatchSize {
    private BatchSize() {}

    /** @param tokens prompt + generated tokens per sequence to plan for */
    public static int auto(ModelConfig c, int tokens) {
        long perToken = 4L * (3L * c.hidden + 2L * c.qDim() + 2L * c.kvDim() + 2L * c.intermediate) // forward buffers
                + 4L * 2L * c.kvDim() * c.layers;                                                      // KV cache
        long perSequence = perToken * tokens + 4L * c.vocab * 2;                                       // last-position logits and copies
        long budget = Runtime.getRuntime().maxMemory() / 4;
        return (int) Math.max(1, Math.min(64, budget / perSequence));
    }
}
