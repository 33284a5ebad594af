package dev.refusal4j.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q8_0 blocks ({@code tensor.quant.BlockQ8_0}: f16 d, then 32 int8 q, weight j = q_j·d) widened in
 * registers, L weights at a time: L bytes sign-extend into L float lanes, times d. Each weight is
 * the float ggml's {@code dequantize_row_q8_0} gives (an 8-bit integer times an f16 is exact in
 * float), so a dot product differs from one on the dequantized row only in the order of its sums.
 */
final class KernelQ8_0 {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final VectorSpecies<Float> F = Species.F;
    private static final VectorSpecies<Byte> B = Species.QUARTER_BYTES;
    private static final int L = F.length();
    static final int ELEMENTS = 32, BYTES = 34;

    private KernelQ8_0() {}

    /** Weights [c, c + L) of the block at {@code o}, whose scale is {@code d}. */
    private static FloatVector chunk(MemorySegment w, long o, int c, FloatVector d) {
        ByteVector q = ByteVector.fromMemorySegment(B, w, o + 2 + c, LE);
        return ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).mul(d);
    }

    /** Σ_k w[k]·x[xo + k] over {@code blocks} blocks from byte offset {@code o}. */
    static float dot(MemorySegment w, long o, int blocks, float[] x, int xo) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int b = 0; b < blocks; b++, o += BYTES, xo += ELEMENTS) {
            FloatVector d = FloatVector.broadcast(F, Widen.half(w, o));
            for (int c = 0; c < ELEMENTS; c += 2 * L) {
                a0 = chunk(w, o, c, d).fma(FloatVector.fromArray(F, x, xo + c), a0);
                a1 = chunk(w, o, c + L, d).fma(FloatVector.fromArray(F, x, xo + c + L), a1);
            }
        }
        return Species.sum(a0.add(a1));
    }

    /** The weights of {@code blocks} blocks from byte offset {@code o} into dst[dOff ...). */
    static void widen(MemorySegment w, long o, int blocks, float[] dst, int dOff) {
        for (int b = 0; b < blocks; b++, o += BYTES, dOff += ELEMENTS) {
            FloatVector d = FloatVector.broadcast(F, Widen.half(w, o));
            for (int c = 0; c < ELEMENTS; c += L) chunk(w, o, c, d).intoArray(dst, dOff + c);
        }
    }
}
