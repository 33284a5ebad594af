package dev.refusal4j.organism;

import dev.refusal4j.tensor.Parallel;
import dev.refusal4j.organism.nn.Params;

/**
 * AdamW (Loshchilov & Hutter): Adam moments with bias correction, and weight decay applied to the
 * weights directly (decoupled), not through the gradient. Decay applies to the projection matrices
 * only; norm weights and the embedding (which is also the tied LM head) are not decayed, as in
 * GPT-2/nanoGPT, since shrinking them toward 0 has no regularizing meaning.
 */
public final class AdamW {
    public final float beta1, beta2, eps, weightDecay;
    final float[] m, v;     // first and second moments, layout of Params.data
    private final boolean[] decays; // per tensor
    private final Params params;
    long t;                 // updates done so far

    public AdamW(Params params, float beta1, float beta2, float eps, float weightDecay) {
        this.params = params;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.m = new float[params.size()];
        this.v = new float[params.size()];
        this.decays = new boolean[params.tensors().size()];
        for (int i = 0; i < decays.length; i++) decays[i] = !params.tensors().get(i).isNormOrEmbedding();
    }

    /** One update of params.data with {@code grads} scaled by {@code gradScale} (for clipping). */
    public void update(float[] grads, float lr, float gradScale) {
        t++;
        final float c1 = (float) (1 - Math.pow(beta1, t)), c2 = (float) (1 - Math.pow(beta2, t));
        final float[] w = params.data;
        for (int ti = 0; ti < decays.length; ti++) {
            Params.Tensor tensor = params.tensors().get(ti);
            final int off = tensor.offset();
            final float decay = decays[ti] ? 1f - lr * weightDecay : 1f;
            Parallel.forRange(tensor.size(), 1 << 14, (i0, i1) -> {
                for (int i = off + i0; i < off + i1; i++) {
                    float g = grads[i] * gradScale;
                    float mi = beta1 * m[i] + (1 - beta1) * g;
                    float vi = beta2 * v[i] + (1 - beta2) * g * g;
                    m[i] = mi;
                    v[i] = vi;
                    w[i] = w[i] * decay - lr * (mi / c1) / ((float) Math.sqrt(vi / c2) + eps);
                }
            });
        }
    }

    public long steps() {
        return t;
    }

    /** Global L2 norm of a gradient vector, accumulated in double. */
    public static double norm(float[] g) {
        double s = 0;
        for (float x : g) s += (double) x * x;
        return Math.sqrt(s);
    }
}
