package dev.refusal4j.export;

import dev.refusal4j.tensor.DType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The vectorizable row conversions agree bit for bit with the scalar definitions in {@link DType}. */
class WeightRowsTest {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void bf16WriteRoundsLikeFloatToBf16IncludingTiesAndSpecials() {
        SplittableRandom r = new SplittableRandom(3);
        int n = 4099;
        double[] row = new double[n];
        for (int trial = 0; trial < 50; trial++) {
            for (int j = 0; j < n; j++) {
                int kind = r.nextInt(10);
                row[j] = switch (kind) {
                    case 0 -> Float.intBitsToFloat((r.nextInt() & 0xFFFF0000) | 0x8000); // exact tie
                    case 1 -> Float.intBitsToFloat(r.nextInt(1 << 23)); // subnormal
                    case 2 -> r.nextDouble() * 1e38 * 4; // some overflow to Inf
                    default -> r.nextGaussian() * Math.pow(10, r.nextInt(-8, 8));
                };
            }
            if (trial % 5 == 0) row[r.nextInt(n)] = trial % 10 == 0 ? Double.NaN : Double.POSITIVE_INFINITY;
            MemorySegment seg = Arena.ofAuto().allocate(2L * n);
            WeightRows.write(seg, DType.BF16, 0, n, row, new WeightRows.Scratch(n));
            for (int j = 0; j < n; j++) {
                assertThat(seg.getAtIndex(I16, j)).as("element %d = %s", j, row[j]).isEqualTo(DType.floatToBf16((float) row[j]));
            }
            double[] back = new double[n];
            WeightRows.read(seg, DType.BF16, 0, n, back, new WeightRows.Scratch(n));
            for (int j = 0; j < n; j++) {
                assertThat(Double.doubleToRawLongBits(back[j])).isEqualTo(Double.doubleToRawLongBits(DType.bf16ToFloat(seg.getAtIndex(I16, j))));
            }
        }
    }

    @Test
    void projectOutRemovesTheComponent() {
        double[] u = {0.6, 0.8, 0, 0, 0};
        double[] x = {1, 2, 3, 4, 5};
        WeightRows.projectOut(x, u, 5);
        assertThat(x[0] * 0.6 + x[1] * 0.8).isCloseTo(0, org.assertj.core.data.Offset.offset(1e-15));
        assertThat(x).containsExactly(1 - 2.2 * 0.6, 2 - 2.2 * 0.8, 3, 4, 5);
    }
}
