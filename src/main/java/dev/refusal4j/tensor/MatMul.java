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
    static final int TILED_MIN_ROWS = Integer.getInteger("refusal4j.gemm.minRows", 8);

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
        if (M >= TILED_MIN_ROWS) Gemm.run(x, xOff, M, w, y, yOff);
        else Gemv.run(x, xOff, M, w, y, yOff);
    }
}
