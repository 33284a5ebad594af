package dev.refusal4j.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q6_K blocks ({@code tensor.quant.BlockQ6_K}: 256 weights in 16 sub-blocks of 16, weight =
 * d·s·(q − 32) with q's low four bits in ql and its top two in qh) widened in registers. For each
 * half of 128 weights, one load each of L bytes of ql, of ql 32 further on and of qh gives four
 * runs of L weights (32 apart); the six-bit q is assembled in byte lanes and widened once. The
 * factor d·s is computed per sub-block as ggml computes it and each lane multiplies it by q − 32
 * as {@code dequantize_row_q6_K} does, so every weight is ggml's float and a dot product differs
 * from one on the dequantized row only in the order of its sums. A run of L ≤ 16 weights never
 * crosses a sub-block, so each run has one scale.
 */
final class KernelQ6_K {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final VectorSpecies<Float> F = Species.F;
    private static final VectorSpecies<Byte> B = Species.QUARTER_BYTES;
    private static final int L = F.length();
    static final int ELEMENTS = 256, BYTES = 210;

    private KernelQ6_K() {}

    private static FloatVector toFloat(ByteVector low4, ByteVector high2, float scale) {
        ByteVector q = low4.or(high2.and((byte) 3).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
        return ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).mul(scale);
    }

    /** Σ_k w[k]·x[xo + k] over {@code blocks} blocks from byte offset {@code o}. */
    static float dot(MemorySegment w, long o, int blocks, float[] x, int xo) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < blocks; b++, o += BYTES, xo += ELEMENTS) {
            float d = Float.float16ToFloat(w.get(Matrix.I16, o + 208));
            for (int half = 0; half < 2; half++) {
                long ql = o + 64 * half, qh = o + 128 + 32 * half, sc = o + 192 + 8 * half;
                int xh = xo + 128 * half;
                for (int c = 0; c < 32; c += L) {
                    long is = sc + c / 16;
                    ByteVector lo = ByteVector.fromMemorySegment(B, w, ql + c, LE), hi = ByteVector.fromMemorySegment(B, w, ql + 32 + c, LE);
                    ByteVector h = ByteVector.fromMemorySegment(B, w, qh + c, LE);
                    a0 = toFloat(lo.and((byte) 0x0F), h, d * w.get(JAVA_BYTE, is))
                            .fma(FloatVector.fromArray(F, x, xh + c), a0);
                    a1 = toFloat(hi.and((byte) 0x0F), h.lanewise(VectorOperators.LSHR, 2), d * w.get(JAVA_BYTE, is + 2))
                            .fma(FloatVector.fromArray(F, x, xh + 32 + c), a1);
                    a2 = toFloat(lo.lanewise(VectorOperators.LSHR, 4), h.lanewise(VectorOperators.LSHR, 4), d * w.get(JAVA_BYTE, is + 4))
                            .fma(FloatVector.fromArray(F, x, xh + 64 + c), a2);
                    a3 = toFloat(hi.lanewise(VectorOperators.LSHR, 4), h.lanewise(VectorOperators.LSHR, 6), d * w.get(JAVA_BYTE, is + 6))
                            .fma(FloatVector.fromArray(F, x, xh + 96 + c), a3);
                }
            }
        }
        return Species.sum(a0.add(a1).add(a2.add(a3)));
    }

    /** The weights of {@code blocks} blocks from byte offset {@code o} into dst[dOff ...). */
    static void widen(MemorySegment w, long o, int blocks, float[] dst, int dOff) {
        for (int b = 0; b < blocks; b++, o += BYTES, dOff += ELEMENTS) {
            float d = Float.float16ToFloat(w.get(Matrix.I16, o + 208));
            for (int half = 0; half < 2; half++) {
                long ql = o + 64 * half, qh = o + 128 + 32 * half, sc = o + 192 + 8 * half;
                int out = dOff + 128 * half;
                for (int c = 0; c < 32; c += L) {
                    long is = sc + c / 16;
                    ByteVector lo = ByteVector.fromMemorySegment(B, w, ql + c, LE), hi = ByteVector.fromMemorySegment(B, w, ql + 32 + c, LE);
                    ByteVector h = ByteVector.fromMemorySegment(B, w, qh + c, LE);
                    toFloat(lo.and((byte) 0x0F), h, d * w.get(JAVA_BYTE, is)).intoArray(dst, out + c);
                    toFloat(hi.and((byte) 0x0F), h.lanewise(VectorOperators.LSHR, 2), d * w.get(JAVA_BYTE, is + 2)).intoArray(dst, out + 32 + c);
                    toFloat(lo.lanewise(VectorOperators.LSHR, 4), h.lanewise(VectorOperators.LSHR, 4), d * w.get(JAVA_BYTE, is + 4)).intoArray(dst, out + 64 + c);
                    toFloat(hi.lanewise(VectorOperators.LSHR, 4), h.lanewise(VectorOperators.LSHR, 6), d * w.get(JAVA_BYTE, is + 6)).intoArray(dst, out + 96 + c);
                }
            }
        }
    }
}
