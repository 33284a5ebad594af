package dev.refusal4j.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The two backward products of a linear layer y[M, N] = x[M, K] · w[N, K]ᵀ, for training:
 * <pre>
 *   dX[M, K] (+)= dY[M, N] · w[N, K]
 *   dW[N, K] (+)= dY[M, N]ᵀ · x[M, K]
 * </pre>
 * Both are again products of the form a · bᵀ, so they run on the inference kernel
 * ({@link MatMul}, register-tiled {@code Gemm}) once the operand that plays "b" is transposed:
 * dX = dY · (wᵀ)ᵀ with wᵀ [K, N] and dW = dYᵀ · (xᵀ)ᵀ with dYᵀ [N, M], xᵀ [K, M]. Transposing
 * costs O(M·K) against the product's O(M·N·K), and reuses one well-tuned kernel instead of three.
 * Transposes are blocked and split across cores. Not thread-safe (one training loop at a time).
 */
public final class MatMulGrad {
    private static final int TB = 32; // transpose block (32 × 32 floats = 4 KiB)

    private static float[] heapT = new float[0];   // transposed "b" operand before it moves off-heap
    private static float[] heapA = new float[0];   // transposed "a" operand (dYᵀ) or product before accumulation
    private static float[] product = new float[0];
    private static MemorySegment nativeB = MemorySegment.NULL;

    private MatMulGrad() {}

    /** dX[M, K] = dY[M, N] · w[N, K] (w rows at wOff), added to dX when {@code accumulate}. */
    public static synchronized void inputGrad(float[] dY, int M, float[] w, int wOff, int N, int K, float[] dX, boolean accumulate) {
        heapT = grow(heapT, N * K);
        transpose(w, wOff, N, K, heapT);                    // wᵀ [K, N]
        Matrix wT = offHeap(heapT, K, N);
        if (!accumulate) {
            MatMul.matmul(dY, 0, M, wT, dX, 0);
            return;
        }
        product = grow(product, M * K);
        MatMul.matmul(dY, 0, M, wT, product, 0);
        addParallel(product, dX, 0, M * K);
    }

    /** dW[N, K] (at dWOff) = dY[M, N]ᵀ · x[M, K], added to dW when {@code accumulate}. */
    public static synchronized void weightGrad(float[] dY, float[] x, int M, int N, int K, float[] dW, int dWOff, boolean accumulate) {
        heapA = grow(heapA, N * M);
        transpose(dY, 0, M, N, heapA);                      // dYᵀ [N, M]
        heapT = grow(heapT, K * M);
        transpose(x, 0, M, K, heapT);                       // xᵀ [K, M]
        Matrix xT = offHeap(heapT, K, M);
        if (!accumulate) {
            MatMul.matmul(heapA, 0, N, xT, dW, dWOff);
            return;
        }
        product = grow(product, N * K);
        MatMul.matmul(heapA, 0, N, xT, product, 0);
        addParallel(product, dW, dWOff, N * K);
    }

    /** dst[c * R + r] = src[off + r * C + c]: src [R, C] row-major to dst [C, R]. */
    public static void transpose(float[] src, int off, int R, int C, float[] dst) {
        int rBlocks = (R + TB - 1) / TB;
        Parallel.forRange(rBlocks, 4, (b0, b1) -> {
            for (int r0 = b0 * TB, rEnd = Math.min(R, b1 * TB); r0 < rEnd; r0 += TB) {
                int r1 = Math.min(rEnd, r0 + TB);
                for (int c0 = 0; c0 < C; c0 += TB) {
                    int c1 = Math.min(C, c0 + TB);
                    for (int r = r0; r < r1; r++) {
                        int s = off + r * C;
                        for (int c = c0; c < c1; c++) dst[c * R + r] = src[s + c];
                    }
                }
            }
        });
    }

    private static void addParallel(float[] src, float[] dst, int dstOff, int n) {
        Parallel.forRange(n, 1 << 14, (i0, i1) -> Ops.axpy(1f, src, i0, dst, dstOff + i0, i1 - i0));
    }

    /** The first rows·cols floats of {@code heap} copied into a reused native buffer, as a Matrix. */
    private static Matrix offHeap(float[] heap, int rows, int cols) {
        long bytes = 4L * rows * cols;
        if (nativeB.byteSize() < bytes) nativeB = Arena.ofAuto().allocate(Math.max(bytes, nativeB.byteSize() * 3 / 2), 64);
        MemorySegment seg = nativeB.asSlice(0, bytes);
        MemorySegment.copy(heap, 0, seg, Matrix.F32, 0, rows * cols);
        return new Matrix(seg, DType.F32, rows, cols);
    }

    private static float[] grow(float[] a, int n) {
        return a.length >= n ? a : new float[Math.max(n, a.length * 3 / 2)];
    }
}
