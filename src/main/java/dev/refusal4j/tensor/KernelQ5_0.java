package dev.refusal4j.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q5_0 blocks ({@code tensor.quant.BlockQ5_0}: f16 d, a u32 qh whose bit j is the fifth bit of
 * weight j, then 16 bytes of low nibbles (weight j) and high nibbles (weight j + 16); weight =
 * (q − 16)·d) widened in registers. llama.cpp writes Q5_0 where a Q4_K_M file's rows are not whole
 * 256-weight blocks. One load of L bytes gives the low four bits of L weights and of the L weights
 * 16 further on; each lane takes its fifth bit from qh by a shift of its own (lane index + c).
 * Each weight is the float ggml's {@code dequantize_row_q5_0} gives (exact: a small integer times
 * an f16), so a dot product differs from one on the dequantized row only in the order of its sums.
 */
final class KernelQ5_0 {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final VectorSpecies<Float> F = Species.F;
    private static final VectorSpecies<Integer> I = Species.I;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    private static final int L = F.length();
    static final int ELEMENTS = 32, BYTES = 22;
    /** Lane i's shift for weight c + i's fifth bit: c + i, for each chunk start c in [0, 16). */
    private static final IntVector LANE = IntVector.zero(I).addIndex(1);

    private KernelQ5_0() {}

    /** Weights c ... c + L − 1 (or 16 later: {@code high}) of the block whose qh is {@code qh}, nibbles {@code nibbles}. */
    private static FloatVector toFloat(IntVector nibbles, IntVector qh, int shift, float d) {
        IntVector fifth = qh.lanewise(VectorOperators.LSHR, LANE.add(shift)).and(1).lanewise(VectorOperators.LSHL, 4);
        return ((FloatVector) nibbles.or(fifth).sub(16).convert(VectorOperators.I2F, 0)).mul(d);
    }

    /** Σ_k w[k]·x[xo + k] over {@code blocks} blocks from byte offset {@code o}. */
    static float dot(MemorySegment w, long o, int blocks, float[] x, int xo) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int b = 0; b < blocks; b++, o += BYTES, xo += ELEMENTS) {
            float d = Widen.half(w, o);
            IntVector qh = IntVector.broadcast(I, w.get(U32, o + 2));
            for (int c = 0; c < 16; c += L) {
                IntVector q = Widen.bytesToInts(w, o + 6 + c);
                a0 = toFloat(q.and(0x0F), qh, c, d).fma(FloatVector.fromArray(F, x, xo + c), a0);
                a1 = toFloat(q.lanewise(VectorOperators.LSHR, 4).and(0x0F), qh, c + 16, d).fma(FloatVector.fromArray(F, x, xo + 16 + c), a1);
            }
        }
        return Species.sum(a0.add(a1));
    }

    /** The weights of {@code blocks} blocks from byte offset {@code o} into dst[dOff ...). */
    static void widen(MemorySegment w, long o, int blocks, float[] dst, int dOff) {
        for (int b = 0; b < blocks; b++, o += BYTES, dOff += ELEMENTS) {
            float d = Widen.half(w, o);
            IntVector qh = IntVector.broadcast(I, w.get(U32, o + 2));
            for (int c = 0; c < 16; c += L) {
                IntVector q = Widen.bytesToInts(w, o + 6 + c);
                toFloat(q.and(0x0F), qh, c, d).intoArray(dst, dOff + c);
                toFloat(q.lanewise(VectorOperators.LSHR, 4).and(0x0F), qh, c + 16, d).intoArray(dst, dOff + 16 + c);
            }
        }
    }
}
