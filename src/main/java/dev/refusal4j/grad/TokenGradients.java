package dev.refusal4j.grad;

import dev.refusal4j.model.LayerWeights;
import dev.refusal4j.model.ModelConfig;
import dev.refusal4j.model.ModelWeights;
import dev.refusal4j.model.Rope;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tensor.MatMul;
import dev.refusal4j.tensor.Matrix;
import dev.refusal4j.tensor.Ops;
import dev.refusal4j.tensor.Parallel;

import java.util.Arrays;

/**
 * Gradients through the inference engine: the loss of target tokens differentiated by the
 * one-hot input tokens, the "token gradient" GCG ranks its swaps by (Zou et al. 2023). With
 * x₀[p] = s · E[id_p] the input of layer 0 (E the embedding matrix, s Gemma's √d or 1):
 * <pre>
 *   ∂loss/∂onehot[p][v] = s · (∂loss/∂x₀[p]) · E[v]
 * </pre>
 * The forward is the engine's ({@link Transformer}) on the engine's weights and kernels, layer by
 * layer, for every architecture {@link ModelConfig} describes: RMSNorm with w or 1 + w, Gemma-2's
 * sandwich norms, Qwen-3's q/k norms, biases on q/k/v, o and the MLP, GQA, rotary embeddings
 * (partial, llama3-scaled), attention and final logit soft-caps, sliding windows, SiLU or GELU-tanh
 * gated MLPs, tied or untied heads. Its backward goes by the inputs only, never the weights.
 *
 * <p>Memory: the residual stream at each layer's input (L × T × d floats) is what the forward
 * keeps; the backward recomputes one layer's intermediates from it at a time, so the cost is a
 * second forward. Only positions up to the last target are run: the causal mask makes the rest
 * irrelevant. Not thread-safe (one call at a time; the call itself uses every core).
 *
 * <pre>
 *   TokenGradients.Result r = new TokenGradients(model).compute(ids, TargetLoss.completion(ids, 12), new int[] {5, 6, 7});
 *   r.tokenGrad()[0][v]  // ∂loss/∂onehot[5][v]
 * </pre>
 */
public final class TokenGradients {
    private final ModelConfig c;
    private final ModelWeights weights;
    private final float embedScale;
    private final Rope rope;
    private final int ropeHalf;

    /**
     * @param loss          the mean cross-entropy of the targets
     * @param positions     the positions differentiated by, as asked
     * @param embeddingGrad ∂loss/∂x₀[positions[i]]: [positions][hidden], x₀ the scaled embedding (hook_embed)
     * @param tokenGrad     ∂loss/∂onehot[positions[i]][v]: [positions][vocab]
     */
    public record Result(double loss, int[] positions, float[][] embeddingGrad, float[][] tokenGrad) {}

    public TokenGradients(Transformer model) {
        this.c = model.config;
        this.weights = model.weights;
        this.embedScale = model.embedScale();
        this.rope = new Rope(c.rope);
        this.ropeHalf = c.rope.dims() / 2;
    }

    /** The loss of {@code ids} and its gradient by the one-hot tokens at {@code positions}. */
    public Result compute(int[] ids, TargetLoss loss, int[] positions) {
        for (int id : ids) c.requireTokenId(id);
        for (int t : loss.targets()) c.requireTokenId(t);
        int T = 0;
        for (int p : loss.positions()) T = Math.max(T, p + 1);
        if (T > ids.length) throw new IllegalArgumentException("a target is scored at position " + (T - 1) + " of a sequence of " + ids.length + " tokens");
        if (T > c.maxPositions) throw new IllegalArgumentException("sequence of " + T + " tokens exceeds the model's context of " + c.maxPositions);
        for (int p : positions) {
            if (p < 0 || p >= ids.length) throw new IllegalArgumentException("position " + p + " is outside the sequence of " + ids.length + " tokens");
        }
        final int d = c.hidden, L = c.layers, V = c.vocab;
        rope.reserve(T);
        State s = new State(T);

        float[] x = new float[T * d];
        for (int t = 0; t < T; t++) weights.embed.row(ids[t], x, t * d);
        if (embedScale != 1f) for (int i = 0; i < T * d; i++) x[i] *= embedScale;
        float[][] residPre = new float[L][];
        for (int l = 0; l < L; l++) {
            residPre[l] = x.clone();
            layerForward(l, x, s);
        }

        // head: final norm and logits of the target rows only
        int[] rows = loss.positions();
        int P = rows.length;
        float[] xf = new float[P * d];
        for (int i = 0; i < P; i++) Ops.rmsNorm(x, rows[i] * d, xf, i * d, 1, d, weights.finalNorm, c.eps, c.normPlusOne);
        float[] logits = new float[P * V];
        MatMul.matmul(xf, 0, P, weights.lmHead, logits, 0);
        float cap = c.finalSoftcap;
        if (cap > 0) for (int i = 0; i < logits.length; i++) logits[i] = (float) (cap * Math.tanh(logits[i] / cap));
        float[] dLogits = new float[P * V];
        double value = loss.value(logits, V, dLogits);
        if (cap > 0) for (int i = 0; i < logits.length; i++) dLogits[i] *= 1f - (logits[i] / cap) * (logits[i] / cap);
        float[] dxf = new float[P * d];
        Backward.linearInput(dLogits, P, weights.lmHead, dxf);
        float[] dx = new float[T * d];
        for (int i = 0; i < P; i++) Backward.rmsNorm(x, rows[i] * d, dxf, i * d, dx, rows[i] * d, 1, d, weights.finalNorm, c.eps, c.normPlusOne);

        for (int l = L - 1; l >= 0; l--) {
            System.arraycopy(residPre[l], 0, x, 0, T * d);
            layerForward(l, x, s);
            layerBackward(l, residPre[l], s, dx);
            residPre[l] = null;
        }

        float[][] embGrad = new float[positions.length][d];
        float[] flat = new float[positions.length * d];
        for (int i = 0; i < positions.length; i++) {
            if (positions[i] < T) System.arraycopy(dx, positions[i] * d, embGrad[i], 0, d);
            System.arraycopy(embGrad[i], 0, flat, i * d, d);
        }
        float[] tok = new float[positions.length * V];
        MatMul.matmul(flat, 0, positions.length, weights.embed, tok, 0);
        float[][] tokenGrad = new float[positions.length][];
        for (int i = 0; i < positions.length; i++) {
            tokenGrad[i] = Arrays.copyOfRange(tok, i * V, (i + 1) * V);
            if (embedScale != 1f) for (int v = 0; v < V; v++) tokenGrad[i][v] *= embedScale;
        }
        return new Result(value, positions.clone(), embGrad, tokenGrad);
    }

    /** One layer's buffers: its intermediates (forward) and their gradients (backward). */
    private final class State {
        final int T;
        final float[] xn, qRaw, kRaw, q, k, v, att, z, oRaw, o, xMid, gate, up, h, mRaw, m;
        final float[] dS, dz, dq, dk, dv, dqRaw, dkRaw, dh, dxn, dTmp;

        State(int T) {
            this.T = T;
            int d = c.hidden, q = c.qDim(), kv = c.kvDim(), ff = c.intermediate, att = c.heads * T * T;
            xn = new float[T * d];
            qRaw = new float[T * q];
            kRaw = new float[T * kv];
            this.q = new float[T * q];
            k = new float[T * kv];
            v = new float[T * kv];
            this.att = new float[att];
            z = new float[T * q];
            oRaw = new float[T * d];
            o = new float[T * d];
            xMid = new float[T * d];
            gate = new float[T * ff];
            up = new float[T * ff];
            h = new float[T * ff];
            mRaw = new float[T * d];
            m = new float[T * d];
            dS = new float[att];
            dz = new float[T * q];
            dq = new float[T * q];
            dk = new float[T * kv];
            dv = new float[T * kv];
            dqRaw = c.qkNorm ? new float[T * q] : dq;
            dkRaw = c.qkNorm ? new float[T * kv] : dk;
            dh = new float[T * ff];
            dxn = new float[T * d];
            dTmp = new float[T * d];
        }
    }

    /** x ← the layer's output, as {@link Transformer} computes it; s holds the intermediates. */
    private void layerForward(int l, float[] x, State s) {
        final LayerWeights lw = weights.layers[l];
        final int T = s.T, d = c.hidden, H = c.heads, KV = c.kvHeads, hd = c.headDim, qDim = c.qDim(), kvDim = c.kvDim();
        // x = x + attn(norm1(x))
        Ops.rmsNorm(x, 0, s.xn, 0, T, d, lw.attnNorm, c.eps, c.normPlusOne);
        linear(s.xn, T, lw.wq, lw.bq, s.qRaw);
        linear(s.xn, T, lw.wk, lw.bk, s.kRaw);
        linear(s.xn, T, lw.wv, lw.bv, s.v);
        System.arraycopy(s.qRaw, 0, s.q, 0, T * qDim);
        System.arraycopy(s.kRaw, 0, s.k, 0, T * kvDim);
        Parallel.forRange(T, 4, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                if (lw.qNorm != null) {
                    Ops.rmsNorm(s.q, t * qDim, s.q, t * qDim, H, hd, lw.qNorm, c.eps, false);
                    Ops.rmsNorm(s.k, t * kvDim, s.k, t * kvDim, KV, hd, lw.kNorm, c.eps, false);
                }
                rope.apply(s.q, t * qDim, H, hd, t);
                rope.apply(s.k, t * kvDim, KV, hd, t);
            }
        });
        attentionForward(l, s);
        linear(s.z, T, lw.wo, lw.bo, s.oRaw);
        if (lw.postAttnNorm != null) Ops.rmsNorm(s.oRaw, 0, s.o, 0, T, d, lw.postAttnNorm, c.eps, c.normPlusOne);
        else System.arraycopy(s.oRaw, 0, s.o, 0, T * d);
        Ops.add(s.o, x, T * d);
        System.arraycopy(x, 0, s.xMid, 0, T * d);
        // x = x + mlp(norm2(x))
        Ops.rmsNorm(x, 0, s.xn, 0, T, d, lw.mlpNorm, c.eps, c.normPlusOne);
        final int ff = c.intermediate;
        linear(s.xn, T, lw.wGate, lw.bGate, s.gate);
        linear(s.xn, T, lw.wUp, lw.bUp, s.up);
        System.arraycopy(s.gate, 0, s.h, 0, T * ff);
        final boolean silu = c.activation == ModelConfig.Activation.SILU;
        Parallel.forRange(T, 1, (r0, r1) -> {
            int from = r0 * ff, n = (r1 - r0) * ff;
            if (silu) Ops.siluMul(s.h, from, s.up, from, n);
            else Ops.geluTanhMul(s.h, from, s.up, from, n);
        });
        linear(s.h, T, lw.wDown, lw.bDown, s.mRaw);
        if (lw.postMlpNorm != null) Ops.rmsNorm(s.mRaw, 0, s.m, 0, T, d, lw.postMlpNorm, c.eps, c.normPlusOne);
        else System.arraycopy(s.mRaw, 0, s.m, 0, T * d);
        Ops.add(s.m, x, T * d);
    }

    /**
     * Softmax attention of each query over the keys it sees (causal, within the layer's window),
     * rounded as the engine rounds it; keeps the probabilities in s.att [H, T, T].
     */
    private void attentionForward(int l, State s) {
        final int T = s.T, H = c.heads, hd = c.headDim, qDim = c.qDim(), kvDim = c.kvDim(), group = H / c.kvHeads;
        final int window = c.window[l];
        final float scale = (float) c.attnScale, cap = c.attnSoftcap;
        Parallel.forRange(H * T, 8, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                int t = i % T, h = i / T, g = h / group;
                int lo = window > 0 ? Math.max(0, t - window + 1) : 0;
                int qo = t * qDim + h * hd, ao = (h * T + t) * T;
                Arrays.fill(s.att, ao, ao + T, 0f);
                float max = Float.NEGATIVE_INFINITY;
                for (int j = lo; j <= t; j++) {
                    float sc = Ops.dot(s.q, qo, s.k, j * kvDim + g * hd, hd) * scale;
                    if (cap > 0) sc = (float) (cap * Math.tanh(sc / cap));
                    s.att[ao + j] = sc;
                    if (sc > max) max = sc;
                }
                double sum = 0;
                for (int j = lo; j <= t; j++) {
                    float e = (float) Math.exp(s.att[ao + j] - max);
                    s.att[ao + j] = e;
                    sum += e;
                }
                float inv = (float) (1.0 / sum);
                Arrays.fill(s.z, qo, qo + hd, 0f);
                for (int j = lo; j <= t; j++) {
                    float p = s.att[ao + j] * inv;
                    s.att[ao + j] = p;
                    Ops.axpy(p, s.v, j * kvDim + g * hd, s.z, qo, hd);
                }
            }
        });
    }

    /**
     * dx ← the gradient at the layer's input, from the gradient at its output; s holds the
     * intermediates of this layer's forward (recomputed from {@code xIn}). The residual adds pass
     * dx through; each branch adds its own part:
     * <pre>
     *   MLP:  dm → [post-norm] → dh = dm · W_down → dgate, dup → dxn = dgate · W_gate + dup · W_up → norm2
     *   attn: do → [post-norm] → dz = do · W_o → dq, dk, dv → rope⁻¹ → [q/k norm] → dxn = dq · W_q + dk · W_k + dv · W_v → norm1
     * </pre>
     */
    private void layerBackward(int l, float[] xIn, State s, float[] dx) {
        final LayerWeights lw = weights.layers[l];
        final int T = s.T, d = c.hidden, H = c.heads, KV = c.kvHeads, hd = c.headDim, qDim = c.qDim(), kvDim = c.kvDim();
        // MLP branch
        float[] dmRaw = dx;
        if (lw.postMlpNorm != null) {
            Arrays.fill(s.dTmp, 0f);
            Backward.rmsNorm(s.mRaw, 0, dx, 0, s.dTmp, 0, T, d, lw.postMlpNorm, c.eps, c.normPlusOne);
            dmRaw = s.dTmp;
        }
        Arrays.fill(s.dh, 0f);
        Backward.linearInput(dmRaw, T, lw.wDown, s.dh);
        Backward.gatedActivation(s.dh, s.gate, s.up, T * c.intermediate, c.activation == ModelConfig.Activation.SILU);
        Arrays.fill(s.dxn, 0f);
        Backward.linearInput(s.gate, T, lw.wGate, s.dxn); // s.gate, s.up now hold dgate, dup
        Backward.linearInput(s.up, T, lw.wUp, s.dxn);
        Backward.rmsNorm(s.xMid, 0, s.dxn, 0, dx, 0, T, d, lw.mlpNorm, c.eps, c.normPlusOne);
        // attention branch
        float[] doRaw = dx;
        if (lw.postAttnNorm != null) {
            Arrays.fill(s.dTmp, 0f);
            Backward.rmsNorm(s.oRaw, 0, dx, 0, s.dTmp, 0, T, d, lw.postAttnNorm, c.eps, c.normPlusOne);
            doRaw = s.dTmp;
        }
        Arrays.fill(s.dz, 0f);
        Backward.linearInput(doRaw, T, lw.wo, s.dz);
        attentionBackward(l, s);
        for (int t = 0; t < T; t++) {
            Backward.flipRotaryHalf(s.dq, t * qDim, H, hd, ropeHalf);
            rope.apply(s.dq, t * qDim, H, hd, t);
            Backward.flipRotaryHalf(s.dq, t * qDim, H, hd, ropeHalf);
            Backward.flipRotaryHalf(s.dk, t * kvDim, KV, hd, ropeHalf);
            rope.apply(s.dk, t * kvDim, KV, hd, t);
            Backward.flipRotaryHalf(s.dk, t * kvDim, KV, hd, ropeHalf);
        }
        if (lw.qNorm != null) {
            Arrays.fill(s.dqRaw, 0f);
            Arrays.fill(s.dkRaw, 0f);
            Backward.rmsNorm(s.qRaw, 0, s.dq, 0, s.dqRaw, 0, T * H, hd, lw.qNorm, c.eps, false);
            Backward.rmsNorm(s.kRaw, 0, s.dk, 0, s.dkRaw, 0, T * KV, hd, lw.kNorm, c.eps, false);
        }
        Arrays.fill(s.dxn, 0f);
        Backward.linearInput(s.dqRaw, T, lw.wq, s.dxn);
        Backward.linearInput(s.dkRaw, T, lw.wk, s.dxn);
        Backward.linearInput(s.dv, T, lw.wv, s.dxn);
        Backward.rmsNorm(xIn, 0, s.dxn, 0, dx, 0, T, d, lw.attnNorm, c.eps, c.normPlusOne);
    }

    /**
     * From dz to dq, dk, dv (overwritten), with p the probabilities and σ = scale · q·k before the cap:
     * <pre>
     *   dp_tj = dz_t·v_j,   ds_tj = p_tj (dp_tj − Σ_j p_tj dp_tj) · (1 − (cap(σ_tj)/cap)²) · scale
     *   dq_t = Σ_j ds_tj k_j,   dk_j = Σ_{heads of j's group, t} ds_tj q_t,   dv_j = Σ p_tj dz_t
     * </pre>
     * Split by query for dq, then by (kv head, key) for dk and dv, so each thread owns the rows it writes.
     */
    private void attentionBackward(int l, State s) {
        final int T = s.T, H = c.heads, KV = c.kvHeads, hd = c.headDim, qDim = c.qDim(), kvDim = c.kvDim(), group = H / KV;
        final int window = c.window[l];
        final float scale = (float) c.attnScale, cap = c.attnSoftcap;
        Parallel.forRange(H * T, 8, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                int t = i % T, h = i / T, g = h / group;
                int lo = window > 0 ? Math.max(0, t - window + 1) : 0;
                int qo = t * qDim + h * hd, ao = (h * T + t) * T;
                Arrays.fill(s.dS, ao, ao + T, 0f);
                double pdp = 0;
                for (int j = lo; j <= t; j++) {
                    float dp = Ops.dot(s.dz, qo, s.v, j * kvDim + g * hd, hd);
                    s.dS[ao + j] = dp;
                    pdp += (double) s.att[ao + j] * dp;
                }
                Arrays.fill(s.dq, qo, qo + hd, 0f);
                for (int j = lo; j <= t; j++) {
                    double ds = s.att[ao + j] * (s.dS[ao + j] - pdp);
                    if (cap > 0) {
                        double capped = cap * Math.tanh(Ops.dot(s.q, qo, s.k, j * kvDim + g * hd, hd) * scale / cap);
                        ds *= 1 - (capped / cap) * (capped / cap);
                    }
                    float dsScaled = (float) (ds * scale);
                    s.dS[ao + j] = dsScaled;
                    Ops.axpy(dsScaled, s.k, j * kvDim + g * hd, s.dq, qo, hd);
                }
            }
        });
        Parallel.forRange(KV * T, 4, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                int j = i % T, g = i / T, ko = j * kvDim + g * hd;
                int last = window > 0 ? Math.min(T - 1, j + window - 1) : T - 1;
                Arrays.fill(s.dk, ko, ko + hd, 0f);
                Arrays.fill(s.dv, ko, ko + hd, 0f);
                for (int h = g * group; h < (g + 1) * group; h++) {
                    for (int t = j; t <= last; t++) {
                        int ao = (h * T + t) * T + j, qo = t * qDim + h * hd;
                        Ops.axpy(s.dS[ao], s.q, qo, s.dk, ko, hd);
                        Ops.axpy(s.att[ao], s.dz, qo, s.dv, ko, hd);
                    }
                }
            }
        });
    }

    /** y = x · wᵀ + bias over T rows. */
    private static void linear(float[] x, int T, Matrix w, float[] bias, float[] y) {
        MatMul.matmul(x, 0, T, w, y, 0);
        if (bias != null) for (int r = 0; r < T; r++) Ops.axpy(1f, bias, 0, y, r * w.rows, w.rows);
    }
}
