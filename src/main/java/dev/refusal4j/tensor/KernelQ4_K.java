package dev.refusal4j.tensor;

import dev.refusal4j.tensor.quant.BlockQ4_K;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_K blocks ({@link BlockQ4_K}: 256 weights in 8 sub-blocks of 32, weight = d·s·q − dmin·m)
 * widened in registers. Per sub-block the two factors d·s and dmin·m are computed once as ggml
 * computes them; per weight, lanes take (d·s)·q and subtract dmin·m, a multiply and a subtract as
 * in {@code dequantize_row_q4_K} (never fused into one FMA, which would round once instead of
 * twice), so every weight is ggml's float and a dot product differs from one on the dequantized
 * row only in the order of its sums. One load of L bytes of group g gives L weights of sub-block
 * 2g (low nibbles) and the L weights 32 further on, of sub-block 2g + 1 (high nibbles).
 */
final class KernelQ4_K {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final VectorSpecies<Float> F = Species.F;
    private static final VectorSpecies<Byte> B = Species.QUARTER_BYTES;
    private static final int L = F.length();
    static final int ELEMENTS = 256, BYTES = 144;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);

    private KernelQ4_K() {}

    /** The 16 factors of the block at {@code o}: f[2j] = d·scale_j, f[2j+1] = dmin·min_j, for sub-blocks j. */
    private static void factors(MemorySegment w, long o, byte[] packed, float[] f) {
        float d = Widen.half(w, o), dmin = Widen.half(w, o + 2);
        // two loads rather than a bulk copy, whose set-up costs as much as the block's arithmetic
        long lo = w.get(I64, o + 4);
        int hi = w.get(I32, o + 12);
        for (int i = 0; i < 8; i++) packed[i] = (byte) (lo >>> 8 * i);
        for (int i = 0; i < 4; i++) packed[8 + i] = (byte) (hi >>> 8 * i);
        for (int j = 0; j < 8; j++) {
            f[2 * j] = d * BlockQ4_K.scale(j, packed, 0);
            f[2 * j + 1] = dmin * BlockQ4_K.min(j, packed, 0);
        }
    }

    private static FloatVector toFloat(ByteVector q, float ds, float dm) {
        return ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).mul(ds).sub(dm);
    }

    /** Σ_k w[k]·x[xo + k] over {@code blocks} blocks from byte offset {@code o}. */
    static float dot(MemorySegment w, long o, int blocks, float[] x, int xo) {
        byte[] packed = new byte[12];
        float[] f = new float[16];
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int b = 0; b < blocks; b++, o += BYTES, xo += ELEMENTS) {
            factors(w, o, packed, f);
            for (int g = 0; g < 4; g++) {
                float d1 = f[4 * g], m1 = f[4 * g + 1], d2 = f[4 * g + 2], m2 = f[4 * g + 3];
                long q = o + 16 + 32 * g;
                int xg = xo + 64 * g;
                for (int c = 0; c < 32; c += L) {
                    ByteVector v = ByteVector.fromMemorySegment(B, w, q + c, LE);
                    a0 = toFloat(v.and((byte) 0x0F), d1, m1).fma(FloatVector.fromArray(F, x, xg + c), a0);
                    a1 = toFloat(v.lanewise(VectorOperators.LSHR, 4), d2, m2).fma(FloatVector.fromArray(F, x, xg + 32 + c), a1);
                }
            }
        }
        return Species.sum(a0.add(a1));
    }

    /** The weights of {@code blocks} blocks from byte offset {@code o} into dst[dOff ...). */
    static void widen(MemorySegment w, long o, int blocks, float[] dst, int dOff) {
        byte[] packed = new byte[12];
        float[] f = new float[16];
        for (int b = 0; b < blocks; b++, o += BYTES, dOff += ELEMENTS) {
            factors(w, o, packed, f);
            for (int g = 0; g < 4; g++) {
                float d1 = f[4 * g], m1 = f[4 * g + 1], d2 = f[4 * g + 2], m2 = f[4 * g + 3];
                long q = o + 16 + 32 * g;
                int out = dOff + 64 * g;
                for (int c = 0; c < 32; c += L) {
                    ByteVector v = ByteVector.fromMemorySegment(B, w, q + c, LE);
                    toFloat(v.and((byte) 0x0F), d1, m1).intoArray(dst, out + c);
                    toFloat(v.lanewise(VectorOperators.LSHR, 4), d2, m2).intoArray(dst, out + 32 + c);
                }
            }
        }
    }
}
