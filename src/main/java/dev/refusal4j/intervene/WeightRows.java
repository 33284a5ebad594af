package dev.refusal4j.intervene;

import dev.refusal4j.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Reads and writes rows of stored weights as float64, rounding once to the stored dtype on write. */
final class WeightRows {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private WeightRows() {}

    /** Widens elements [first, first + n) of {@code seg} into dst[0 .. n). */
    static void read(MemorySegment seg, DType dt, long first, int n, double[] dst) {
        switch (dt) {
            case F32 -> { for (int j = 0; j < n; j++) dst[j] = seg.getAtIndex(F32, first + j); }
            case BF16 -> { for (int j = 0; j < n; j++) dst[j] = Float.intBitsToFloat((seg.getAtIndex(I16, first + j) & 0xFFFF) << 16); }
            case F16 -> { for (int j = 0; j < n; j++) dst[j] = Float.float16ToFloat(seg.getAtIndex(I16, first + j)); }
        }
    }

    /**
     * Stores src[0 .. n) at elements [first, first + n). Float64 goes to float32 first; BF16 then
     * rounds to nearest even as torch does ({@link DType#floatToBf16}).
     */
    static void write(MemorySegment seg, DType dt, long first, int n, double[] src) {
        switch (dt) {
            case F32 -> { for (int j = 0; j < n; j++) seg.setAtIndex(F32, first + j, (float) src[j]); }
            case BF16 -> { for (int j = 0; j < n; j++) seg.setAtIndex(I16, first + j, DType.floatToBf16((float) src[j])); }
            case F16 -> { for (int j = 0; j < n; j++) seg.setAtIndex(I16, first + j, Float.floatToFloat16((float) src[j])); }
        }
    }

    /** x ← x − (u·x) u over n elements (|u| = 1). */
    static void projectOut(double[] x, double[] u, int n) {
        double d0 = 0, d1 = 0, d2 = 0, d3 = 0;
        int j = 0;
        for (; j + 3 < n; j += 4) {
            d0 += x[j] * u[j];
            d1 += x[j + 1] * u[j + 1];
            d2 += x[j + 2] * u[j + 2];
            d3 += x[j + 3] * u[j + 3];
        }
        for (; j < n; j++) d0 += x[j] * u[j];
        double dot = (d0 + d1) + (d2 + d3);
        for (j = 0; j < n; j++) x[j] -= dot * u[j];
    }
}
