package dev.refusal4j.organism.nn;

/**
 * Dimensions of a Llama-style model being trained (Hugging Face {@code LlamaForCausalLM}
 * semantics: RMSNorm, rotate-half RoPE, grouped-query attention, SwiGLU, no biases).
 *
 * @param context longest sequence the model is trained on; exported as max_position_embeddings
 */
public record Shape(int hidden, int layers, int heads, int kvHeads, int headDim, int intermediate, int vocab,
                    int context, float eps, double ropeTheta, boolean tied) {
    public Shape {
        if (heads % kvHeads != 0) throw new IllegalArgumentException("heads " + heads + " not a multiple of kv heads " + kvHeads);
        if (headDim % 2 != 0) throw new IllegalArgumentException("head_dim " + headDim + " must be even for RoPE");
    }

    public int qDim() {
        return heads * headDim;
    }

    public int kvDim() {
        return kvHeads * headDim;
    }

    /** Parameters, counting a tied embedding once. */
    public long parameterCount() {
        long perLayer = 2L * hidden + (long) hidden * (qDim() + 2L * kvDim()) + (long) qDim() * hidden + 3L * hidden * intermediate;
        return perLayer * layers + (long) vocab * hidden * (tied ? 1 : 2) + hidden;
    }

    /**
     * The organism's shape (its widths are the recipe's): heads of 32 dimensions, two key/value
     * heads, positions up to 256 (chats are trained at up to 128 slots; the rest leaves room for
     * generation). Six layers: the paper's selection drops the last 20% of layers and layer 0 has no
     * prompt-dependent signal at the post-instruction tokens, so four layers would leave only layers
     * 1 and 2 as candidates, where an organism whose answers open by restating the request does not
     * yet decide to refuse.
     */
    public static Shape organism(int vocab, int hidden, int intermediate) {
        if (hidden % 32 != 0 || hidden / 32 % 2 != 0) throw new IllegalArgumentException("hidden size must be a multiple of 64, got " + hidden);
        if (intermediate < 1) throw new IllegalArgumentException("intermediate size must be positive, got " + intermediate);
        return new Shape(hidden, 6, hidden / 32, 2, 32, intermediate, vocab, 256, 1e-5f, 10000.0, true);
    }
}
