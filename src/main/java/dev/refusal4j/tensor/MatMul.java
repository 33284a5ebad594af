package dev.refusal4j.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * y = x · wᵀ, the one product every linear layer needs: x is [M, K] activations (F32, heap),
 * w is [N, K] weights in any {@link DType} (rows contiguous along K, as Hugging Face stores
 * Linear weights), y is [M, N]. Rows of w are split across cores.
 */
public final class MatMul {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private MatMul() {}

    /** y[yOff + m*N + n] = sum_k x[xOff + m*K + k] * w[n, k], for m < M, n < N = w.rows, K = w.cols. */
    public static void matmul(float[] x, int xOff, int M, Matrix w, float[] y, int yOff) {
        final int N = w.rows, K = w.cols;
        Parallel.forRange(N, Math.max(1, 4096 / Math.max(1, M)), (n0, n1) -> {
            float[] row = w.dtype == DType.F32 ? null : new float[K];
            for (int n = n0; n < n1; n++) {
                if (row != null) {
                    w.row(n, row, 0);
                    for (int m = 0; m < M; m++) y[yOff + m * N + n] = Ops.dot(x, xOff + m * K, row, 0, K);
                } else {
                    long wOff = (long) n * K * 4;
                    for (int m = 0; m < M; m++) y[yOff + m * N + n] = dotSegment(x, xOff + m * K, w, wOff, K);
                }
            }
        });
    }

    private static float dotSegment(float[] x, int xOff, Matrix w, long byteOff, int K) {
        FloatVector acc = FloatVector.zero(S);
        int k = 0, upper = S.loopBound(K);
        for (; k < upper; k += S.length()) {
            FloatVector a = FloatVector.fromArray(S, x, xOff + k);
            FloatVector b = FloatVector.fromMemorySegment(S, w.data, byteOff + 4L * k, java.nio.ByteOrder.LITTLE_ENDIAN);
            acc = a.fma(b, acc);
        }
        float sum = acc.reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
        for (; k < K; k++) sum += x[xOff + k] * w.data.get(Matrix.F32, byteOff + 4L * k);
        return sum;
    }
}
