package dev.refusal4j.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_0 blocks ({@code tensor.quant.BlockQ4_0}: f16 d, then 16 bytes whose low nibbles are weights
 * 0-15 and high nibbles 16-31, weight = (q − 8)·d) widened in registers: one load of L bytes gives
 * L consecutive weights from its low nibbles and the L weights 16 further on from its high ones.
 * Each weight is the float ggml's {@code dequantize_row_q4_0} gives (exact: a small integer times
 * an f16), so a dot product differs from one on the dequantized row only in the order of its sums.
 */
final class KernelQ4_0 {
    private static final VectorSpecies<Float> F = Species.F;
    private static final int L = F.length();
    static final int ELEMENTS = 32, BYTES = 18;

    private KernelQ4_0() {}

    private static FloatVector toFloat(IntVector q, FloatVector d) {
        return ((FloatVector) q.sub(8).convert(VectorOperators.I2F, 0)).mul(d);
    }

    /** Σ_k w[k]·x[xo + k] over {@code blocks} blocks from byte offset {@code o}. */
    static float dot(MemorySegment w, long o, int blocks, float[] x, int xo) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int b = 0; b < blocks; b++, o += BYTES, xo += ELEMENTS) {
            FloatVector d = FloatVector.broadcast(F, Widen.half(w, o));
            for (int c = 0; c < 16; c += L) {
                IntVector q = Widen.bytesToInts(w, o + 2 + c);
                a0 = toFloat(q.and(0x0F), d).fma(FloatVector.fromArray(F, x, xo + c), a0);
                a1 = toFloat(q.lanewise(VectorOperators.LSHR, 4).and(0x0F), d).fma(FloatVector.fromArray(F, x, xo + 16 + c), a1);
            }
        }
        return Species.sum(a0.add(a1));
    }

    /** The weights of {@code blocks} blocks from byte offset {@code o} into dst[dOff ...). */
    static void widen(MemorySegment w, long o, int blocks, float[] dst, int dOff) {
        for (int b = 0; b < blocks; b++, o += BYTES, dOff += ELEMENTS) {
            FloatVector d = FloatVector.broadcast(F, Widen.half(w, o));
            for (int c = 0; c < 16; c += L) {
                IntVector q = Widen.bytesToInts(w, o + 2 + c);
                toFloat(q.and(0x0F), d).intoArray(dst, dOff + c);
                toFloat(q.lanewise(VectorOperators.LSHR, 4).and(0x0F), d).intoArray(dst, dOff + 16 + c);
            }
        }
    }
}
