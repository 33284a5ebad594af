package dev.refusal4j.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.tensor.quant.GgmlReference;
import dev.refusal4j.testutil.RandomBlocks;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The ggml block types multiplied in place (Q8_0, Q4_0, Q5_0, Q4_K, Q6_K):
 * <ul>
 *   <li>widening ({@code Matrix.row}, {@code Matrix.get}, a panel's columns) gives ggml's own
 *       floats bit for bit, on the blocks of src/test/resources/gguf/quant (ggml's quantizers and
 *       random bytes, with ggml's output) and on random blocks against the reference dequantizer;</li>
 *   <li>products through every path — one x row (blocks widened in registers), a few (each w row
 *       widened once), many (Gemm's panels) — are within the float32 summation bound of the exact
 *       product of the dequantized weights: |y − Σ w·x| ≤ γ_K Σ|w·x| with γ_K = K·u / (1 − K·u),
 *       u = 2⁻²⁴. The kernels compute each weight as ggml does and each product inside an FMA
 *       (exact), so only the sums round; each sum has fewer than K roundings on any path.</li>
 * </ul>
 * Which kernel runs depends on the CPU's vector width ({@code Species.BLOCK_KERNELS}): run with
 * {@code -XX:UseAVX=2} to cover 8 lanes where the default is 16.
 */
class BlockKernelTest {
    static final DType[] BLOCK_TYPES = {DType.Q8_0, DType.Q4_0, DType.Q5_0, DType.Q4_K, DType.Q6_K};
    static final double U = 0x1p-24;

    static Stream<DType> types() {
        return Arrays.stream(BLOCK_TYPES);
    }

    @Test
    void theBlockTypesAreTheQuantizedDTypes() {
        assertThat(Arrays.stream(DType.values()).filter(DType::quantized)).containsExactly(BLOCK_TYPES);
        System.out.println("block kernels " + (Species.BLOCK_KERNELS ? "in registers" : "off (reference dequantizer)") + ", " + Species.F.length() + " float lanes");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("types")
    void widensAsGgmlBitForBit(DType t) {
        JsonNode ref = GgmlReference.json("/gguf/quant/" + t.ggml.ggmlName + ".json");
        List<String> failures = new ArrayList<>();
        int cases = 0;
        for (GgmlReference.Case c : GgmlReference.cases(ref)) {
            cases++;
            int n = c.elements();
            byte[] blocks = c.blocks();
            int[] expected = c.output();
            // one block per row, at an odd offset (a GGUF mapping does not align blocks either)
            int rows = n / t.blockElements;
            MemorySegment seg = Arena.ofAuto().allocate(blocks.length + 3).asSlice(3);
            MemorySegment.copy(blocks, 0, seg, ValueLayout.JAVA_BYTE, 0, blocks.length);
            Matrix m = new Matrix(seg, t, rows, t.blockElements);
            float[] got = new float[n];
            for (int r = 0; r < rows; r++) m.row(r, got, r * t.blockElements);
            int i = GgmlReference.firstDifference(expected, got);
            if (i >= 0) failures.add(c.name() + ": element " + i + " is " + got[i] + ", ggml gives " + Float.intBitsToFloat(expected[i]));
            for (int k = 0; k < n; k += 7) {
                float g = m.get(k / t.blockElements, k % t.blockElements);
                if (Float.floatToRawIntBits(g) != expected[k]) failures.add(c.name() + ": get of element " + k + " is " + g);
            }
        }
        assertThat(cases).isGreaterThanOrEqualTo(8);
        assertThat(failures).as(t.toString()).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("types")
    void widensRandomBlocksAsTheReferenceDequantizer(DType t) {
        int rows = 5, cols = 6 * t.blockElements;
        Matrix m = RandomBlocks.matrix(t, rows, cols, 0.05, 11);
        float[] want = new float[cols], got = new float[cols + 4];
        for (int r = 0; r < rows; r++) {
            t.ggml.dequantizeRow(m.data, r * m.rowBytes(), want, 0, cols);
            m.row(r, got, 4);
            assertThat(GgmlReference.firstDifference(floatBits(want), Arrays.copyOfRange(got, 4, cols + 4))).as("row " + r).isEqualTo(-1);
            // a panel's columns: from a whole block on, as Gemm widens them
            Arrays.fill(got, Float.NaN);
            Widen.row(m, r, 2 * t.blockElements, 3 * t.blockElements, got, 1);
            for (int k = 0; k < 3 * t.blockElements; k++) {
                assertThat(Float.floatToRawIntBits(got[1 + k])).as("row %d column %d", r, 2 * t.blockElements + k)
                        .isEqualTo(Float.floatToRawIntBits(want[2 * t.blockElements + k]));
            }
        }
    }

    @Test
    void partialBlocksAreRefused() {
        Matrix m = RandomBlocks.matrix(DType.Q4_K, 2, 512, 0.05, 1);
        assertThatThrownBy(() -> Widen.row(m, 0, 100, 256, new float[512], 0)).hasMessageContaining("are not whole blocks");
        assertThatThrownBy(() -> new Matrix(m.data, DType.Q4_K, 4, 200)).hasMessageContaining("200 elements are not a whole number of Q4_K blocks of 256");
        assertThatThrownBy(() -> new Matrix(m.data, DType.Q4_K, 3, 512)).hasMessageContaining("cannot hold Q4_K[3, 512]");
    }

    static Stream<Arguments> products() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (DType t : BLOCK_TYPES) {
            int be = t.blockElements;
            // M = 1: in registers; 3: widened rows; 20: Gemm. K: one block, Qwen2.5-0.5B's 896 and 4864 rounded to blocks
            for (int M : new int[] {1, 3, 20}) {
                for (int[] nk : new int[][] {{7, be}, {70, (896 + be - 1) / be * be}, {13, 4864}}) b.add(Arguments.of(t, M, nk[0], nk[1]));
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0} M={1} N={2} K={3}")
    @MethodSource("products")
    void productsAreWithinTheSummationBoundOfTheDequantizedProduct(DType t, int M, int N, int K) {
        SplittableRandom r = new SplittableRandom(31L * M + N + K + t.ordinal());
        Matrix w = RandomBlocks.matrix(t, N, K, 0.05, r.nextLong());
        float[] x = new float[M * K];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * (r.nextInt(8) == 0 ? 10 : 1));
        float[] y = new float[M * N];
        Arrays.fill(y, Float.NaN);
        MatMul.matmul(x, 0, M, w, y, 0);
        double gamma = K * U / (1 - K * U), worst = 0;
        float[] wRow = new float[K];
        for (int n = 0; n < N; n++) {
            t.ggml.dequantizeRow(w.data, n * w.rowBytes(), wRow, 0, K);
            for (int m = 0; m < M; m++) {
                double exact = 0, abs = 0;
                for (int k = 0; k < K; k++) {
                    double p = (double) wRow[k] * x[m * K + k]; // exact: two floats' product fits a double
                    exact += p;
                    abs += Math.abs(p);
                }
                double err = Math.abs(y[m * N + n] - exact);
                assertThat(err).as("y[%d, %d] = %s, exact %s", m, n, y[m * N + n], exact).isLessThanOrEqualTo(gamma * abs);
                worst = Math.max(worst, err / (U * abs));
            }
        }
        System.out.printf("%s M=%d N=%d K=%d: worst |y - exact| = %.2f u·Σ|w·x| (bound %d)%n", t, M, N, K, worst, K);
    }

    private static int[] floatBits(float[] f) {
        int[] b = new int[f.length];
        for (int i = 0; i < f.length; i++) b[i] = Float.floatToRawIntBits(f[i]);
        return b;
    }
}
