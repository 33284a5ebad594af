package dev.refusal4j.export;

import dev.refusal4j.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Reads and writes rows of stored F32 and F16 weights as float64, rounding once to the stored dtype
 * on write (BF16 takes the vector path of {@link Bf16Rows}). Bytes move in bulk between the segment
 * and a per-thread scratch array (one bounds check per row, not per element); the conversions run
 * on plain arrays in simple branch-free loops that the JIT vectorizes.
 */
final class WeightRows {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Per-thread conversion buffers for rows of up to {@code n} elements. */
    static final class Scratch {
        final float[] f;
        final short[] s;
        final int[] i;

        Scratch(int n) {
            f = new float[n];
            s = new short[n];
            i = new int[n];
        }
    }

    private WeightRows() {}

    /** Widens elements [first, first + n) of {@code seg} into dst[0 .. n). */
    static void read(MemorySegment seg, DType dt, long first, int n, double[] dst, Scratch sc) {
        switch (dt) {
            case F32 -> {
                MemorySegment.copy(seg, F32, first * 4, sc.f, 0, n);
                for (int j = 0; j < n; j++) dst[j] = sc.f[j];
            }
            case BF16 -> {
                short[] s = sc.s;
                int[] bits = sc.i;
                MemorySegment.copy(seg, I16, first * 2, s, 0, n);
                for (int j = 0; j < n; j++) bits[j] = s[j] << 16;
                for (int j = 0; j < n; j++) dst[j] = Float.intBitsToFloat(bits[j]);
            }
            case F16 -> {
                MemorySegment.copy(seg, I16, first * 2, sc.s, 0, n);
                for (int j = 0; j < n; j++) dst[j] = Float.float16ToFloat(sc.s[j]);
            }
        }
    }

    /**
     * Stores src[0 .. n) at elements [first, first + n). Float64 goes to float32 first; BF16 then
     * rounds to nearest even as torch does ({@link DType#floatToBf16}).
     */
    static void write(MemorySegment seg, DType dt, long first, int n, double[] src, Scratch sc) {
        switch (dt) {
            case F32 -> {
                for (int j = 0; j < n; j++) sc.f[j] = (float) src[j];
                MemorySegment.copy(sc.f, 0, seg, F32, first * 4, n);
            }
            case BF16 -> {
                float[] f = sc.f;
                int[] bits = sc.i;
                short[] s = sc.s;
                for (int j = 0; j < n; j++) f[j] = (float) src[j];
                int special = 0; // sign bit set iff some exponent is all ones (Inf or NaN)
                for (int j = 0; j < n; j++) {
                    int b = Float.floatToRawIntBits(f[j]);
                    bits[j] = b;
                    special |= (b & 0x7F800000) + 0x00800000;
                }
                if (special < 0) {
                    for (int j = 0; j < n; j++) s[j] = DType.floatToBf16(f[j]); // NaN keeps its quiet-NaN rule
                } else {
                    // round to nearest even, exactly DType.floatToBf16 for finite values
                    for (int j = 0; j < n; j++) s[j] = (short) ((bits[j] + 0x7FFF + ((bits[j] >>> 16) & 1)) >>> 16);
                }
                MemorySegment.copy(s, 0, seg, I16, first * 2, n);
            }
            case F16 -> {
                for (int j = 0; j < n; j++) sc.s[j] = Float.floatToFloat16((float) src[j]);
                MemorySegment.copy(sc.s, 0, seg, I16, first * 2, n);
            }
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
