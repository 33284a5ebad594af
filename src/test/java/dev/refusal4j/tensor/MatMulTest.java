package dev.refusal4j.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import java.util.stream.Stream;

/**
 * MatMul against a float64 reference computed from the same stored weights (quantized ones
 * dequantized by ggml's reference), over both kernels (few rows: streaming dot products; many
 * rows: register tiles), every dtype (random blocks for the block types), shapes that are
 * not multiples of any vector or tile size, and non-zero offsets into x and y.
 */
class MatMulTest {
    static Stream<Arguments> cases() {
        Stream.Builder<Arguments> b = Stream.builder();
        int[][] shapes = { // M, N, K
            {1, 1, 1}, {1, 7, 5}, {1, 37, 896}, {1, 9, 53}, {3, 7, 33}, {2, 5, 64}, {2, 11, 53}, {5, 9, 17}, {6, 9, 50},
            {7, 13, 100}, {8, 6, 16}, {9, 1, 31}, {16, 12, 64}, {17, 19, 129}, {24, 7, 40},
            {32, 96, 896}, {33, 50, 77}, {16, 13, 8300}, {40, 101, 1030}, {64, 64, 1}, {100, 31, 513}, {130, 200, 300}, {48, 701, 2100},
        };
        for (DType t : DType.values()) {
            for (int[] s : shapes) { // a block type's rows are whole blocks: K rounded up to them
                int k = (s[2] + t.blockElements - 1) / t.blockElements * t.blockElements;
                b.add(Arguments.of(t, s[0], s[1], k));
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0} M={1} N={2} K={3}")
    @MethodSource("cases")
    void matchesFloat64Reference(DType dtype, int M, int N, int K) {
        Random rnd = new Random(31L * M + 7L * N + K);
        Matrix w = randomMatrix(dtype, N, K, rnd);
        int xOff = 3, yOff = 5;
        float[] x = new float[xOff + M * K + 2];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        float[] y = new float[yOff + M * N + 4];
        java.util.Arrays.fill(y, Float.NaN); // every output must be written, and nothing outside
        MatMul.matmul(x, xOff, M, w, y, yOff);

        double maxErr = 0, maxRef = 0;
        float[] wRow = new float[K];
        for (int m = 0; m < M; m++) {
            for (int n = 0; n < N; n++) {
                double ref = 0, absSum = 0;
                dtype.ggml.dequantizeRow(w.data, n * w.rowBytes(), wRow, 0, K); // ggml's reference dequantizer, not the kernels'
                for (int k = 0; k < K; k++) {
                    double p = (double) x[xOff + m * K + k] * wRow[k];
                    ref += p;
                    absSum += Math.abs(p);
                }
                float got = y[yOff + m * N + n];
                assertThat(got).as("y[%d,%d]", m, n).isNotNaN();
                // float32 accumulation over K terms: error bounded by ~K·eps·sum|terms|; we allow 4·sqrt(K)·eps, the typical growth
                double err = Math.abs(got - ref);
                assertThat(err).as("y[%d,%d] = %s, float64 says %s", m, n, got, ref)
                        .isLessThanOrEqualTo(4 * Math.sqrt(K) * Math.ulp(1f) * absSum + 1e-30);
                maxErr = Math.max(maxErr, err);
                maxRef = Math.max(maxRef, Math.abs(ref));
            }
        }
        for (int i = 0; i < yOff; i++) assertThat(y[i]).isNaN();
        for (int i = yOff + M * N; i < y.length; i++) assertThat(y[i]).isNaN();
        System.out.printf("matmul %s M=%d N=%d K=%d: max |diff| / max |ref| = %.2e%n", dtype, M, N, K, maxErr / Math.max(maxRef, 1e-30));
    }

    /** F32 weights on the Java heap (not native memory) take the copying path and give the same product. */
    @ParameterizedTest(name = "heap weights M={0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 5, 40})
    void heapWeightsGiveTheSameProductAsNativeOnes(int M) {
        Random rnd = new Random(M);
        int N = 23, K = 70, wOff = 9;
        float[] heap = new float[wOff + N * K + 3];
        for (int i = 0; i < heap.length; i++) heap[i] = (float) rnd.nextGaussian();
        Matrix onHeap = new Matrix(MemorySegment.ofArray(heap).asSlice(4L * wOff, 4L * N * K), DType.F32, N, K);
        MemorySegment nativeCopy = Arena.ofAuto().allocate(4L * N * K, 64);
        MemorySegment.copy(heap, wOff, nativeCopy, Matrix.F32, 0, N * K);
        float[] x = new float[M * K];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        float[] viaHeap = new float[M * N], viaNative = new float[M * N];
        MatMul.matmul(x, 0, M, onHeap, viaHeap, 0);
        MatMul.matmul(x, 0, M, new Matrix(nativeCopy, DType.F32, N, K), viaNative, 0);
        assertThat(viaHeap).containsExactly(viaNative);
        assertThat(onHeap.get(2, 3)).isEqualTo(heap[wOff + 2 * K + 3]);
    }

    /** matmulRows equals matmul on the listed rows, bit for bit, and leaves every other row of y alone. */
    @ParameterizedTest(name = "row subset of M={0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {3, 20, 77})
    void rowSubsetMatchesTheFullProductOnItsRowsOnly(int total) {
        Random rnd = new Random(total);
        int N = 45, K = 130;
        Matrix w = randomMatrix(DType.BF16, N, K, rnd);
        float[] x = new float[total * K];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        java.util.List<Integer> keep = new java.util.ArrayList<>();
        for (int r = 0; r < total; r++) if (rnd.nextInt(3) > 0) keep.add(r);
        java.util.Collections.shuffle(keep, rnd);
        int[] rows = keep.stream().mapToInt(Integer::intValue).toArray();
        float[] full = new float[total * N], sub = new float[total * N];
        java.util.Arrays.fill(sub, Float.NaN);
        // the reference: the same kernel choice (tiled from 8 rows on) on a gathered copy
        float[] xs = new float[rows.length * K], ys = new float[rows.length * N];
        for (int m = 0; m < rows.length; m++) System.arraycopy(x, rows[m] * K, xs, m * K, K);
        MatMul.matmul(xs, 0, rows.length, w, ys, 0);
        MatMul.matmulRows(x, rows, rows.length, w, sub);
        boolean[] listed = new boolean[total];
        for (int m = 0; m < rows.length; m++) {
            listed[rows[m]] = true;
            for (int n = 0; n < N; n++) assertThat(sub[rows[m] * N + n]).isEqualTo(ys[m * N + n]);
        }
        for (int r = 0; r < total; r++) if (!listed[r]) for (int n = 0; n < N; n++) assertThat(sub[r * N + n]).isNaN();
        MatMul.matmul(x, 0, total, w, full, 0); // and close to the plain product (summation order may differ between kernels)
        for (int r : rows) for (int n = 0; n < N; n++) assertThat((double) sub[r * N + n]).isCloseTo(full[r * N + n], org.assertj.core.data.Offset.offset(1e-3));
    }

    static Matrix randomMatrix(DType dtype, int rows, int cols, Random rnd) {
        if (dtype.quantized()) return dev.refusal4j.testutil.RandomBlocks.matrix(dtype, rows, cols, 1.0, rnd.nextLong());
        MemorySegment seg = Arena.ofAuto().allocate(rows * dtype.bytes(cols), 64);
        for (long i = 0; i < (long) rows * cols; i++) {
            float v = (float) rnd.nextGaussian();
            switch (dtype) {
                case F32 -> seg.setAtIndex(Matrix.F32, i, v);
                case BF16 -> seg.setAtIndex(Matrix.I16, i, DType.floatToBf16(v));
                case F16 -> seg.setAtIndex(Matrix.I16, i, DType.floatToF16(v));
                default -> throw new AssertionError(dtype);
            }
        }
        return new Matrix(seg, dtype, rows, cols);
    }
}
