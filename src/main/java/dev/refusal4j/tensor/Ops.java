package dev.refusal4j.tensor;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Element-wise and row-wise operations on F32 activations. No allocation. */
public final class Ops {
    private static final VectorSpecies<Float> S = Species.F;
    private static final int L = S.length();
    /** Doubles in a vector of the same bit size: each float vector widens into two of these. */
    private static final VectorSpecies<Double> D = Species.D;

    private Ops() {}

    /** Four independent accumulators so the FMA latency is hidden. */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc0 = FloatVector.zero(S), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        int i = 0;
        for (int upper4 = n - n % (4 * L); i < upper4; i += 4 * L) {
            acc0 = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc0);
            acc1 = FloatVector.fromArray(S, a, aOff + i + L).fma(FloatVector.fromArray(S, b, bOff + i + L), acc1);
            acc2 = FloatVector.fromArray(S, a, aOff + i + 2 * L).fma(FloatVector.fromArray(S, b, bOff + i + 2 * L), acc2);
            acc3 = FloatVector.fromArray(S, a, aOff + i + 3 * L).fma(FloatVector.fromArray(S, b, bOff + i + 3 * L), acc3);
        }
        for (int upper = S.loopBound(n); i < upper; i += L) {
            acc0 = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc0);
        }
        float sum = Species.sum(acc0.add(acc1).add(acc2.add(acc3)));
        for (; i < n; i++) sum += a[aOff + i] * b[bOff + i];
        return sum;
    }

    /** y[yOff..] += alpha * x[xOff..], n elements. */
    public static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0, upper = S.loopBound(n);
        FloatVector va = FloatVector.broadcast(S, alpha);
        for (; i < upper; i += L) {
            FloatVector.fromArray(S, x, xOff + i).fma(va, FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] = Math.fma(alpha, x[xOff + i], y[yOff + i]); // as the vector lanes round
    }

    /** y[i] += x[i] over whole arrays of rows*n; used for residual adds. */
    public static void add(float[] x, float[] y, int len) {
        int i = 0, upper = S.loopBound(len);
        for (; i < upper; i += L) FloatVector.fromArray(S, x, i).add(FloatVector.fromArray(S, y, i)).intoArray(y, i);
        for (; i < len; i++) y[i] += x[i];
    }

    /**
     * RMSNorm of each of {@code rows} rows of length n: out = x / sqrt(mean(x²) + eps) * w, or
     * * (1 + w) when {@code plusOne} (Gemma). The sum of squares is accumulated in double (each
     * float vector widened to two double vectors), so it is as exact as the scalar loop was.
     */
    public static void rmsNorm(float[] x, int xOff, float[] out, int outOff, int rows, int n, float[] w, float eps, boolean plusOne) {
        for (int r = 0; r < rows; r++) {
            int xo = xOff + r * n, oo = outOff + r * n;
            double ss = sumOfSquares(x, xo, n);
            float inv = (float) (1.0 / Math.sqrt(ss / n + eps));
            int i = 0, upper = S.loopBound(n);
            for (; i < upper; i += L) {
                FloatVector wv = FloatVector.fromArray(S, w, i);
                if (plusOne) wv = wv.add(1f);
                FloatVector.fromArray(S, x, xo + i).mul(inv).mul(wv).intoArray(out, oo + i);
            }
            for (; i < n; i++) out[oo + i] = x[xo + i] * inv * (plusOne ? 1f + w[i] : w[i]);
        }
    }

    private static double sumOfSquares(float[] x, int off, int n) {
        DoubleVector acc0 = DoubleVector.zero(D), acc1 = acc0;
        int i = 0, upper = S.loopBound(n);
        for (; i < upper; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, off + i);
            DoubleVector lo = (DoubleVector) v.convertShape(VectorOperators.F2D, D, 0);
            DoubleVector hi = (DoubleVector) v.convertShape(VectorOperators.F2D, D, 1);
            acc0 = lo.fma(lo, acc0);
            acc1 = hi.fma(hi, acc1);
        }
        double ss = Species.sum(acc0.add(acc1));
        for (; i < n; i++) ss += (double) x[off + i] * x[off + i];
        return ss;
    }

    public static float silu(float v) {
        return v / (1f + (float) Math.exp(-v));
    }

    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

    /**
     * GELU, tanh approximation (Gemma's gelu_pytorch_tanh): 0.5 v (1 + tanh z) with
     * z = √(2/π)(v + 0.044715 v³), computed as v / (1 + e^-2z), which is the same function without
     * the cancellation of 1 + tanh z for very negative v.
     */
    public static float geluTanh(float v) {
        double z = SQRT_2_OVER_PI * (v + 0.044715 * v * v * v);
        return (float) (v / (1.0 + Math.exp(-2.0 * z)));
    }

    /** gate[gOff + i] = silu(gate[gOff + i]) * up[uOff + i]: the gated MLP of Llama, Qwen, Mistral, Phi-3. */
    public static void siluMul(float[] gate, int gOff, float[] up, int uOff, int n) {
        int i = 0, upper = S.loopBound(n);
        for (; i < upper; i += L) {
            VectorMath.silu(FloatVector.fromArray(S, gate, gOff + i)).mul(FloatVector.fromArray(S, up, uOff + i)).intoArray(gate, gOff + i);
        }
        for (; i < n; i++) gate[gOff + i] = silu(gate[gOff + i]) * up[uOff + i];
    }

    /** gate[gOff + i] = geluTanh(gate[gOff + i]) * up[uOff + i]: Gemma's gated MLP. */
    public static void geluTanhMul(float[] gate, int gOff, float[] up, int uOff, int n) {
        int i = 0, upper = S.loopBound(n);
        for (; i < upper; i += L) {
            VectorMath.geluTanh(FloatVector.fromArray(S, gate, gOff + i)).mul(FloatVector.fromArray(S, up, uOff + i)).intoArray(gate, gOff + i);
        }
        for (; i < n; i++) gate[gOff + i] = geluTanh(gate[gOff + i]) * up[uOff + i];
    }
}
