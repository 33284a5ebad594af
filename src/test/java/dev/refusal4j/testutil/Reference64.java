package dev.refusal4j.testutil;

import dev.refusal4j.model.LayerWeights;
import dev.refusal4j.model.ModelConfig;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tensor.Matrix;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The forward pass in float64 on a loaded model's own weights (read through its matrices, so a
 * quantized model's dequantized values), written from the golden README's semantics: what the
 * model computes with no float32 rounding on the way, to tell the error of a weight format from
 * the error of float32 arithmetic.
 */
public final class Reference64 {
    private final Transformer m;
    private final ModelConfig c;
    private final Map<Matrix, double[][]> widened = new IdentityHashMap<>();

    public Reference64(Transformer m) {
        this.m = m;
        this.c = m.config;
    }

    private double[][] w(Matrix x) {
        return widened.computeIfAbsent(x, k -> {
            double[][] out = new double[k.rows][k.cols];
            float[] row = new float[k.cols];
            for (int r = 0; r < k.rows; r++) {
                k.row(r, row, 0);
                for (int i = 0; i < k.cols; i++) out[r][i] = row[i];
            }
            return out;
        });
    }

    /** Logits [T][vocab] of one sequence from position 0. */
    public double[][] logits(int[] ids) {
        int T = ids.length, d = c.hidden, H = c.heads, KV = c.kvHeads, hd = c.headDim;
        double[][] x = new double[T][];
        double[][] embed = w(m.weights.embed);
        for (int t = 0; t < T; t++) {
            x[t] = embed[ids[t]].clone();
            for (int i = 0; i < d; i++) x[t][i] *= m.embedScale();
        }
        double[] invFreq = invFreq();
        for (int l = 0; l < c.layers; l++) {
            LayerWeights lw = m.weights.layers[l];
            double[][] xn = norm(x, lw.attnNorm, c.normPlusOne);
            double[][] q = linear(xn, lw.wq, lw.bq), k = linear(xn, lw.wk, lw.bk), v = linear(xn, lw.wv, lw.bv);
            for (int t = 0; t < T; t++) {
                for (int h = 0; h < H; h++) headNormAndRope(q[t], h * hd, lw.qNorm, invFreq, t);
                for (int h = 0; h < KV; h++) headNormAndRope(k[t], h * hd, lw.kNorm, invFreq, t);
            }
            double[][] z = new double[T][H * hd];
            double scale = c.attnScale;
            int window = c.window[l];
            for (int t = 0; t < T; t++) {
                for (int h = 0; h < H; h++) {
                    int g = h / (H / KV);
                    double[] s = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= t; j++) {
                        if (window > 0 && t - j >= window) {
                            s[j] = Double.NEGATIVE_INFINITY;
                            continue;
                        }
                        double dot = 0;
                        for (int i = 0; i < hd; i++) dot += q[t][h * hd + i] * k[j][g * hd + i];
                        dot *= scale;
                        if (c.attnSoftcap > 0) dot = c.attnSoftcap * Math.tanh(dot / c.attnSoftcap);
                        s[j] = dot;
                        max = Math.max(max, dot);
                    }
                    double sum = 0;
                    for (int j = 0; j <= t; j++) sum += s[j] = Math.exp(s[j] - max);
                    for (int j = 0; j <= t; j++) {
                        for (int i = 0; i < hd; i++) z[t][h * hd + i] += s[j] / sum * v[j][g * hd + i];
                    }
                }
            }
            double[][] out = linear(z, lw.wo, lw.bo);
            if (lw.postAttnNorm != null) out = norm(out, lw.postAttnNorm, c.normPlusOne);
            add(x, out);
            xn = norm(x, lw.mlpNorm, c.normPlusOne);
            double[][] gate = linear(xn, lw.wGate, lw.bGate), up = linear(xn, lw.wUp, lw.bUp);
            for (int t = 0; t < T; t++) {
                for (int i = 0; i < gate[t].length; i++) {
                    double a = gate[t][i];
                    double act = c.activation == ModelConfig.Activation.SILU ? a / (1 + Math.exp(-a))
                            : 0.5 * a * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (a + 0.044715 * a * a * a)));
                    gate[t][i] = act * up[t][i];
                }
            }
            out = linear(gate, lw.wDown, lw.bDown);
            if (lw.postMlpNorm != null) out = norm(out, lw.postMlpNorm, c.normPlusOne);
            add(x, out);
        }
        double[][] logits = linear(norm(x, m.weights.finalNorm, c.normPlusOne), m.weights.lmHead, null);
        if (c.finalSoftcap > 0) {
            for (double[] row : logits) for (int i = 0; i < row.length; i++) row[i] = c.finalSoftcap * Math.tanh(row[i] / c.finalSoftcap);
        }
        return logits;
    }

    private double[] invFreq() {
        ModelConfig.Rope r = c.rope;
        double[] f = new double[r.dims() / 2];
        for (int i = 0; i < f.length; i++) {
            double x = Math.pow(r.theta(), -2.0 * i / r.dims());
            if (r.type().equals("factors")) x /= r.factors().get(i);
            if (r.type().equals("llama3")) {
                double wavelen = 2 * Math.PI / x, low = r.originalMaxPositions() / r.lowFreqFactor(), high = r.originalMaxPositions() / r.highFreqFactor();
                if (wavelen > low) x /= r.factor();
                else if (wavelen >= high) {
                    double s = (r.originalMaxPositions() / wavelen - r.lowFreqFactor()) / (r.highFreqFactor() - r.lowFreqFactor());
                    x = (1 - s) * x / r.factor() + s * x;
                }
            }
            f[i] = x;
        }
        return f;
    }

    /** Qwen-3's per-head RMSNorm, then rotate_half RoPE on the first rope.dims dimensions of one head. */
    private void headNormAndRope(double[] v, int o, float[] headNorm, double[] invFreq, int pos) {
        int hd = c.headDim;
        if (headNorm != null) {
            double ms = 0;
            for (int i = 0; i < hd; i++) ms += v[o + i] * v[o + i];
            double inv = 1 / Math.sqrt(ms / hd + c.eps);
            for (int i = 0; i < hd; i++) v[o + i] = v[o + i] * inv * headNorm[i];
        }
        int half = invFreq.length;
        for (int i = 0; i < half; i++) {
            double a = pos * invFreq[i], x0 = v[o + i], x1 = v[o + i + half];
            v[o + i] = x0 * Math.cos(a) - x1 * Math.sin(a);
            v[o + i + half] = x1 * Math.cos(a) + x0 * Math.sin(a);
        }
    }

    private double[][] norm(double[][] x, float[] w, boolean plusOne) {
        double[][] out = new double[x.length][];
        for (int t = 0; t < x.length; t++) {
            double ms = 0;
            for (double v : x[t]) ms += v * v;
            double inv = 1 / Math.sqrt(ms / x[t].length + c.eps);
            out[t] = new double[x[t].length];
            for (int i = 0; i < x[t].length; i++) out[t][i] = x[t][i] * inv * (plusOne ? 1 + (double) w[i] : w[i]);
        }
        return out;
    }

    private double[][] linear(double[][] x, Matrix wt, float[] bias) {
        double[][] w = w(wt), out = new double[x.length][wt.rows];
        for (int t = 0; t < x.length; t++) {
            for (int r = 0; r < wt.rows; r++) {
                double s = bias == null ? 0 : bias[r];
                for (int i = 0; i < wt.cols; i++) s += w[r][i] * x[t][i];
                out[t][r] = s;
            }
        }
        return out;
    }

    private static void add(double[][] x, double[][] y) {
        for (int t = 0; t < x.length; t++) for (int i = 0; i < x[t].length; i++) x[t][i] += y[t][i];
    }
}
