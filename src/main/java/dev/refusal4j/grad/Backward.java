package dev.refusal4j.grad;

import dev.refusal4j.tensor.Matrix;
import dev.refusal4j.tensor.Ops;
import dev.refusal4j.tensor.Parallel;

/**
 * The backward kernels of the inference layers, with respect to their inputs only (the weights
 * stay fixed: GCG differentiates by the tokens, not by the model). Float32 in, float32 out, with
 * the row reductions of RMSNorm in float64 as the forward kernel does them.
 */
final class Backward {
    private Backward() {}

    /**
     * dX[M, K] += dY[M, N] · w[N, K]: the input gradient of y = x · wᵀ, for stored weights of any
     * dtype. Rows of w are widened once each; chunks of rows go to the cores, each adding into its
     * own [M, K] partial sum (M is a sequence's length, so these are small), summed at the end.
     */
    static void linearInput(float[] dY, int M, Matrix w, float[] dX) {
        final int N = w.rows, K = w.cols;
        final int chunks = Math.max(1, Math.min(Parallel.THREADS, N / 64));
        final float[][] part = new float[chunks][];
        Parallel.forRange(chunks, 1, (c0, c1) -> {
            float[] row = new float[K];
            for (int c = c0; c < c1; c++) {
                float[] acc = new float[M * K];
                for (int n = (int) ((long) N * c / chunks), end = (int) ((long) N * (c + 1) / chunks); n < end; n++) {
                    w.row(n, row, 0);
                    for (int m = 0; m < M; m++) {
                        float a = dY[m * N + n];
                        if (a != 0f) Ops.axpy(a, row, 0, acc, m * K, K);
                    }
                }
                part[c] = acc;
            }
        });
        for (float[] p : part) Ops.add(p, dX, M * K);
    }

    /**
     * dx += the input gradient of y = RMSNorm(x) · g over {@code rows} rows of n, g = w or 1 + w:
     * <pre>
     *   r = 1 / sqrt(mean(x²) + eps)
     *   dx = r · g ⊙ dy − x · r³/n · Σ_j dy_j g_j x_j
     * </pre>
     */
    static void rmsNorm(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int rows, int n, float[] w, float eps, boolean plusOne) {
        for (int row = 0; row < rows; row++) {
            int xo = xOff + row * n, yo = dyOff + row * n, o = dxOff + row * n;
            double ss = 0, dot = 0;
            for (int i = 0; i < n; i++) {
                double g = plusOne ? 1.0 + w[i] : w[i];
                ss += (double) x[xo + i] * x[xo + i];
                dot += dy[yo + i] * g * x[xo + i];
            }
            double r = 1.0 / Math.sqrt(ss / n + eps);
            double c = dot * r * r * r / n;
            for (int i = 0; i < n; i++) {
                double g = plusOne ? 1.0 + w[i] : w[i];
                dx[o + i] += (float) (r * g * dy[yo + i] - x[xo + i] * c);
            }
        }
    }

    /**
     * The gated MLP's backward, in place: from dh (gradient of h = act(gate) ⊙ up) to
     * dgate = dh ⊙ up ⊙ act'(gate) (written over {@code gate}) and dup = dh ⊙ act(gate)
     * (written over {@code up}).
     * <pre>
     *   silu(g) = g σ(g)                        silu'(g) = σ(g) (1 + g (1 − σ(g)))
     *   gelu(g) = g / (1 + e^−2z), z = c(g + 0.044715 g³), c = √(2/π)
     *   gelu'(g) = ½(1 + tanh z) + ½ g (1 − tanh² z) c (1 + 3 · 0.044715 g²)
     * </pre>
     */
    static void gatedActivation(float[] dh, float[] gate, float[] up, int n, boolean silu) {
        final double c = Math.sqrt(2.0 / Math.PI);
        Parallel.forRange(n, 4096, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                double g = gate[i], act, deriv;
                if (silu) {
                    double s = 1.0 / (1.0 + Math.exp(-g));
                    act = g * s;
                    deriv = s * (1 + g * (1 - s));
                } else {
                    double t = Math.tanh(c * (g + 0.044715 * g * g * g));
                    act = 0.5 * g * (1 + t);
                    deriv = 0.5 * (1 + t) + 0.5 * g * (1 - t * t) * c * (1 + 3 * 0.044715 * g * g);
                }
                double u = up[i];
                gate[i] = (float) (dh[i] * u * deriv);
                up[i] = (float) (dh[i] * act);
            }
        });
    }

    /**
     * Negates dims [half, 2·half) of each of {@code heads} vectors of hd at x[off..]: the
     * reflection N with N R(θ) N = R(−θ) = R(θ)ᵀ, so that the forward's rotation, applied
     * between two of these, is the rotary embedding's backward.
     */
    static void flipRotaryHalf(float[] x, int off, int heads, int hd, int half) {
        for (int h = 0; h < heads; h++) {
            int o = off + h * hd + half;
            for (int i = 0; i < half; i++) x[o + i] = -x[o + i];
        }
    }
}
