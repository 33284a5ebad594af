package dev.refusal4j.tensor;

/**
 * y = x · wᵀ, the one product every linear layer needs: x is [M, K] activations (F32, heap),
 * w is [N, K] weights in any {@link DType} (rows contiguous along K, as Hugging Face stores
 * Linear weights), y is [M, N]. Rows of w are split across cores.
 *
 * <p>Two kernels: {@link Gemv} streams the weights once for a few rows of x (decode, bound by
 * memory bandwidth) and {@link Gemm} register-tiles many rows (prefill, bound by FMA throughput).
 */
public final class MatMul {
    /** From this many x rows on, the tiled kernel wins (it re-reads w from cache, not memory). */
    static final int TILED_MIN_ROWS = 8;

    private MatMul() {}

    /** y[yOff + m*N + n] = sum_k x[xOff + m*K + k] * w[n, k], for m < M, n < N = w.rows, K = w.cols. */
    public static void matmul(float[] x, int xOff, int M, Matrix w, float[] y, int yOff) {
        final int N = w.rows, K = w.cols;
        if (M <= 0 || N == 0) return;
        if (xOff < 0 || (long) xOff + (long) M * K > x.length) {
            throw new IllegalArgumentException("x holds " + x.length + " floats, needs [" + M + ", " + K + "] from " + xOff);
        }
        if (yOff < 0 || (long) yOff + (long) M * N > y.length) {
            throw new IllegalArgumentException("y holds " + y.length + " floats, needs [" + M + ", " + N + "] from " + yOff);
        }
        if (K == 0) {
            java.util.Arrays.fill(y, yOff, yOff + M * N, 0f);
            return;
        }
        if (M >= TILED_MIN_ROWS) Gemm.run(x, xOff, M, null, w, y, yOff);
        else Gemv.run(x, xOff, M, w, y, yOff);
    }

    /**
     * As {@link #matmul} for the rows of x and y listed in {@code rows} only (ascending or not, each
     * below x's and y's row count); the other rows of y are left as they are. Callers skip rows whose
     * result nobody reads, such as padding.
     */
    public static void matmulRows(float[] x, int[] rows, int M, Matrix w, float[] y) {
        final int N = w.rows, K = w.cols;
        if (M <= 0 || N == 0) return;
        for (int m = 0; m < M; m++) {
            int r = rows[m];
            if (r < 0 || (long) (r + 1) * K > x.length || (long) (r + 1) * N > y.length) {
                throw new IllegalArgumentException("row " + r + " is outside x [" + x.length / Math.max(1, K) + " rows] or y [" + y.length / N + " rows]");
            }
        }
        if (K == 0) {
            for (int m = 0; m < M; m++) java.util.Arrays.fill(y, rows[m] * N, (rows[m] + 1) * N, 0f);
        } else if (M >= TILED_MIN_ROWS) {
            Gemm.run(x, 0, M, rows, w, y, 0);
        } else {
            float[] xs = new float[M * K], ys = new float[M * N]; // few rows: gather, stream w once, scatter
            for (int m = 0; m < M; m++) System.arraycopy(x, rows[m] * K, xs, m * K, K);
            Gemv.run(xs, 0, M, w, ys, 0);
            for (int m = 0; m < M; m++) System.arraycopy(ys, m * N, y, rows[m] * N, N);
        }
    }
}
