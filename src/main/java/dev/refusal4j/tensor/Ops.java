package dev.refusal4j.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Element-wise and row-wise operations on F32 activations. No allocation. */
public final class Ops {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private Ops() {}

    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0, upper = S.loopBound(n);
        for (; i < upper; i += S.length()) {
            acc = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) sum += a[aOff + i] * b[bOff + i];
        return sum;
    }

    /** y[yOff..] += alpha * x[xOff..], n elements. */
    public static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0, upper = S.loopBound(n);
        FloatVector va = FloatVector.broadcast(S, alpha);
        for (; i < upper; i += S.length()) {
            FloatVector.fromArray(S, x, xOff + i).fma(va, FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] += alpha * x[xOff + i];
    }

    /** y[i] += x[i] over whole arrays of rows*n; used for residual adds. */
    public static void add(float[] x, float[] y, int len) {
        axpy(1f, x, 0, y, 0, len);
    }

    /**
     * RMSNorm of each of {@code rows} rows of length n: out = x / sqrt(mean(x²) + eps) * w, or
     * * (1 + w) when {@code plusOne} (Gemma). The sum of squares is accumulated in double.
     */
    public static void rmsNorm(float[] x, int xOff, float[] out, int outOff, int rows, int n, float[] w, float eps, boolean plusOne) {
        for (int r = 0; r < rows; r++) {
            int xo = xOff + r * n, oo = outOff + r * n;
            double ss = 0;
            for (int i = 0; i < n; i++) ss += (double) x[xo + i] * x[xo + i];
            float inv = (float) (1.0 / Math.sqrt(ss / n + eps));
            if (plusOne) for (int i = 0; i < n; i++) out[oo + i] = x[xo + i] * inv * (1f + w[i]);
            else for (int i = 0; i < n; i++) out[oo + i] = x[xo + i] * inv * w[i];
        }
    }

    /** In-place softmax of x[off .. off+n). */
    public static void softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[off + i]);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < n; i++) x[off + i] *= inv;
    }

    public static float silu(float v) {
        return v / (1f + (float) Math.exp(-v));
    }

    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

    /** GELU, tanh approximation (Gemma's gelu_pytorch_tanh). */
    public static float geluTanh(float v) {
        return (float) (0.5 * v * (1.0 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v))));
    }
}
