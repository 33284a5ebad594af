package dev.refusal4j.organism.nn;

import dev.refusal4j.tensor.Parallel;

/**
 * RMSNorm, forward and backward.
 * <pre>
 *   x [N, d], w [d] → y [N, d], rstd [N]
 *   y = x · rstd · w,   rstd = 1 / sqrt(mean(x²) + eps)
 *   dx += rstd · w · dy − x · rstd³/d · Σ_j dy_j w_j x_j
 *   dw += Σ_rows dy · x · rstd
 * </pre>
 * Forward rounds exactly as the inference kernel does (sum of squares in double, one float rstd).
 */
final class RmsNorm {
    private RmsNorm() {}

    static void forward(float[] x, float[] w, int wOff, float[] y, float[] rstd, int N, int d, float eps) {
        Parallel.forRange(N, 16, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * d;
                double ss = 0;
                for (int i = 0; i < d; i++) ss += (double) x[o + i] * x[o + i];
                float inv = (float) (1.0 / Math.sqrt(ss / d + eps));
                rstd[r] = inv;
                for (int i = 0; i < d; i++) y[o + i] = x[o + i] * inv * w[wOff + i];
            }
        });
    }

    /** Adds the input gradient to dx and the weight gradient to dw[dwOff..]. */
    static void backward(float[] dy, float[] x, float[] w, int wOff, float[] rstd, float[] dx, float[] dw, int dwOff, int N, int d) {
        Parallel.forRange(N, 16, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * d;
                float inv = rstd[r];
                double dot = 0;
                for (int i = 0; i < d; i++) dot += (double) dy[o + i] * w[wOff + i] * x[o + i];
                float c = (float) (dot * inv * inv * inv / d);
                for (int i = 0; i < d; i++) dx[o + i] += inv * w[wOff + i] * dy[o + i] - x[o + i] * c;
            }
        });
        Parallel.forRange(d, 32, (i0, i1) -> {
            for (int r = 0; r < N; r++) {
                int o = r * d;
                float inv = rstd[r];
                for (int i = i0; i < i1; i++) dw[dwOff + i] += dy[o + i] * x[o + i] * inv;
            }
        });
    }
}
