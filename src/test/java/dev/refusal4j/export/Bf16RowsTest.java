package dev.refusal4j.export;

import dev.refusal4j.tensor.DType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The vector BF16 kernels against their scalar definitions: every stored element is exactly
 * {@link DType#floatToBf16}(fma(−scale, v, x)) (ties, subnormals and overflow; NaN and Inf rows of
 * the embedding through {@link Bf16Rows#projectRow}),
 * column sums equal the scalar fma loop in row order bit for bit, and dot products agree with a
 * float64 sum within float rounding. Row lengths cover whole blocks and a scalar tail.
 */
class Bf16RowsTest {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int[] LENGTHS = {1, Bf16Rows.BLOCK - 1, Bf16Rows.BLOCK, 3 * Bf16Rows.BLOCK, 896, 4099};

    /** n BF16 values with exact ties, subnormals, huge values and (when asked) a NaN and an Inf. */
    private static MemorySegment randomRow(SplittableRandom r, int n, boolean specials) {
        MemorySegment seg = Arena.ofAuto().allocate(2L * n);
        for (int j = 0; j < n; j++) {
            float f = switch (r.nextInt(8)) {
                case 0 -> Float.intBitsToFloat(r.nextInt(1 << 23)); // subnormal
                case 1 -> (float) (r.nextDouble() * 3e38);            // overflows after the subtraction
                default -> (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-6, 6)));
            };
            seg.set(I16, 2L * j, DType.floatToBf16(f));
        }
        if (specials && n > 2) {
            seg.set(I16, 2L * r.nextInt(n), DType.floatToBf16(Float.NaN));
            seg.set(I16, 2L * r.nextInt(n), DType.floatToBf16(Float.NEGATIVE_INFINITY));
        }
        return seg;
    }

    private static double[] gaussian(SplittableRandom r, int n) {
        double[] v = new double[n];
        for (int j = 0; j < n; j++) v[j] = r.nextGaussian();
        return v;
    }

    @Test
    void pairedOrderRoundTrips() {
        double[] v = gaussian(new SplittableRandom(1), 4099);
        float[] p = Bf16Rows.paired(v, 0, v.length);
        float[] back = Bf16Rows.natural(p);
        for (int j = 0; j < v.length; j++) {
            assertThat(back[j]).isEqualTo((float) v[j]);
            assertThat(p[Bf16Rows.pairedIndex(j, v.length)]).as("pairedIndex(%d)", j).isEqualTo((float) v[j]);
        }
    }

    @Test
    void subtractScaledRoundsEveryElementLikeTheScalarDefinition() {
        SplittableRandom r = new SplittableRandom(7);
        for (int n : LENGTHS) {
            for (int trial = 0; trial < 20; trial++) {
                MemorySegment src = randomRow(r, n, false); // finite, some overflow after the subtraction
                double[] v = gaussian(r, n);
                // ties: make some v exact so that x − s·v lands on a BF16 midpoint
                if (trial % 2 == 1) for (int j = 0; j < n; j += 3) v[j] = Math.scalb(1.0, -9);
                float scale = trial % 2 == 1 ? 1f : (float) r.nextGaussian() * 100;
                MemorySegment dst = Arena.ofAuto().allocate(2L * n);
                Bf16Rows.subtractScaled(src, 0, Bf16Rows.paired(v, 0, n), scale, dst, 0, n);
                assertRounded(src, v, scale, dst, n);
            }
        }
    }

    /** Embedding rows, NaN and Inf elements included (those rows take the scalar path). */
    @Test
    void projectRowSubtractsItsOwnComponentAndKeepsNaNs() {
        SplittableRandom r = new SplittableRandom(8);
        for (int n : LENGTHS) {
            for (int trial = 0; trial < 20; trial++) {
                MemorySegment src = randomRow(r, n, trial % 2 == 0);
                double[] u = gaussian(r, n);
                float[] up = Bf16Rows.paired(u, 0, n);
                MemorySegment dst = Arena.ofAuto().allocate(2L * n);
                Bf16Rows.projectRow(src, 0, up, dst, 0, n);
                assertRounded(src, u, Bf16Rows.dot(src, 0, up, n), dst, n);
            }
        }
    }

    /** Every dst element is exactly floatToBf16(fma(−scale, v_j, x_j)). */
    private static void assertRounded(MemorySegment src, double[] v, float scale, MemorySegment dst, int n) {
        for (int j = 0; j < n; j++) {
            float x = DType.bf16ToFloat(src.get(I16, 2L * j));
            short want = DType.floatToBf16(Math.fma(-scale, (float) v[j], x));
            assertThat(dst.get(I16, 2L * j)).as("n=%d element %d: %s - %s * %s", n, j, x, scale, (float) v[j]).isEqualTo(want);
        }
    }

    @Test
    void columnSumsOverBlocksEqualTheScalarLoopInRowOrder() {
        SplittableRandom r = new SplittableRandom(11);
        int rows = 37;
        for (int n : LENGTHS) {
            MemorySegment w = Arena.ofAuto().allocate(2L * rows * n);
            for (int i = 0; i < rows; i++) MemorySegment.copy(randomRow(r, n, false), 0, w, 2L * i * n, 2L * n);
            double[] u = gaussian(r, rows);
            float[] s = new float[n];
            // split the columns at a block boundary as the threads do
            int split = Math.min(n, (n / Bf16Rows.BLOCK / 2) * Bf16Rows.BLOCK);
            for (int i = 0; i < rows; i++) {
                Bf16Rows.accumulate(w, 2L * i * n, (float) u[i], s, 0, split, n);
                Bf16Rows.accumulate(w, 2L * i * n, (float) u[i], s, split, n, n);
            }
            float[] got = Bf16Rows.natural(s);
            for (int j = 0; j < n; j++) {
                float want = 0;
                for (int i = 0; i < rows; i++) want = Math.fma(DType.bf16ToFloat(w.get(I16, 2L * ((long) i * n + j))), (float) u[i], want);
                assertThat(got[j]).as("n=%d column %d", n, j).isEqualTo(want);
            }
        }
    }

    @Test
    void dotMatchesAFloat64SumWithinFloatRounding() {
        SplittableRandom r = new SplittableRandom(5);
        for (int n : LENGTHS) {
            MemorySegment row = Arena.ofAuto().allocate(2L * n);
            for (int j = 0; j < n; j++) row.set(I16, 2L * j, DType.floatToBf16((float) r.nextGaussian()));
            double[] u = gaussian(r, n);
            float[] up = Bf16Rows.paired(u, 0, n);
            double want = 0, abs = 0;
            for (int j = 0; j < n; j++) {
                double p = (double) DType.bf16ToFloat(row.get(I16, 2L * j)) * (float) u[j];
                want += p;
                abs += Math.abs(p);
            }
            assertThat((double) Bf16Rows.dot(row, 0, up, n)).as("n=%d", n).isCloseTo(want, org.assertj.core.data.Offset.offset(n * 0x1p-24 * abs));
        }
    }
}
