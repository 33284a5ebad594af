package dev.refusal4j.model;

import dev.refusal4j.tensor.Matrix;

/** One decoder layer's weights. Optional parts are null. Norm weights and biases are widened to F32. */
public final class LayerWeights {
    public float[] attnNorm;      // (d)
    public Matrix wq;             // (heads * hd, d)
    public Matrix wk;             // (kvHeads * hd, d)
    public Matrix wv;             // (kvHeads * hd, d)
    public float[] bq, bk, bv;    // (heads * hd), (kvHeads * hd) — Qwen-2, Qwen-1
    public float[] qNorm, kNorm;  // (hd) — Qwen-3
    public Matrix wo;             // (d, heads * hd)
    public float[] bo;            // (d) — attention_bias models
    public float[] postAttnNorm;  // (d) — Gemma-2
    public float[] mlpNorm;       // (d)
    public Matrix wGate;          // (ff, d)
    public Matrix wUp;            // (ff, d)
    public Matrix wDown;          // (d, ff)
    public float[] bGate, bUp, bDown; // mlp_bias models
    public float[] postMlpNorm;   // (d) — Gemma-2
}
