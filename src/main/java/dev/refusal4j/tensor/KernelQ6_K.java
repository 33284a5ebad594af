package dev.refusal4j.tensor;

import java.lang.foreign.MemorySegment;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q6_K blocks ({@code tensor.quant.BlockQ6_K}: 256 weights in 16 sub-blocks of 16, weight =
 * d·s·(q − 32) with q's low four bits in ql and its top two in qh) widened in registers. For each
 * half of 128 weights, L bytes of ql (or of ql 32 further on) and of qh give each of four runs
 * of L weights, 32 apart; the six-bit q is assembled in int lanes. The
 * factor d·s is computed per sub-block as ggml computes it and each lane multiplies it by q − 32
 * as {@code dequantize_row_q6_K} does, so every weight is ggml's float and a dot product differs
 * from one on the dequantized row only in the order of its sums. A run of L ≤ 16 weights never
 * crosses a sub-block, so each run has one scale.
 */
final class KernelQ6_K {
    private static final VectorSpecies<Float> F = Species.F;
    private static final int L = F.length();
    static final int ELEMENTS = 256, BYTES = 210;

    private KernelQ6_K() {}

    /**
     * L weights of run r (r = 0..3: weights 32r + c ... of a half) from the L bytes of ql at
     * {@code ql} (ql + 32 for odd r), nibble {@code r / 2}, and of qh at {@code qh}, bits 2r, 2r + 1.
     * One run per call keeps the loops small enough for C2 to inline every vector operation (four
     * runs written out exceed its inlining node budget, and the vectors are then boxed).
     */
    private static FloatVector run(MemorySegment w, long ql, long qh, int r, float scale) {
        IntVector low = Widen.bytesToInts(w, ql + 32 * (r & 1)).lanewise(VectorOperators.LSHR, 4 * (r >> 1)).and(0x0F);
        IntVector high = Widen.bytesToInts(w, qh).lanewise(VectorOperators.LSHR, 2 * r).and(3).lanewise(VectorOperators.LSHL, 4);
        return ((FloatVector) low.or(high).sub(32).convert(VectorOperators.I2F, 0)).mul(scale);
    }

    /** Σ_k w[k]·x[xo + k] over {@code blocks} blocks from byte offset {@code o}. */
    static float dot(MemorySegment w, long o, int blocks, float[] x, int xo) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int b = 0; b < blocks; b++, o += BYTES, xo += ELEMENTS) {
            float d = Widen.half(w, o + 208);
            for (int half = 0; half < 2; half++) {
                long ql = o + 64 * half, qh = o + 128 + 32 * half, sc = o + 192 + 8 * half;
                int xh = xo + 128 * half;
                for (int c = 0; c < 32; c += L) {
                    long is = sc + c / 16;
                    for (int r = 0; r < 4; r += 2) {
                        a0 = run(w, ql + c, qh + c, r, d * w.get(JAVA_BYTE, is + 2 * r)).fma(FloatVector.fromArray(F, x, xh + 32 * r + c), a0);
                        a1 = run(w, ql + c, qh + c, r + 1, d * w.get(JAVA_BYTE, is + 2 * r + 2)).fma(FloatVector.fromArray(F, x, xh + 32 * r + 32 + c), a1);
                    }
                }
            }
        }
        return Species.sum(a0.add(a1));
    }

    /** The weights of {@code blocks} blocks from byte offset {@code o} into dst[dOff ...). */
    static void widen(MemorySegment w, long o, int blocks, float[] dst, int dOff) {
        for (int b = 0; b < blocks; b++, o += BYTES, dOff += ELEMENTS) {
            float d = Widen.half(w, o + 208);
            for (int half = 0; half < 2; half++) {
                long ql = o + 64 * half, qh = o + 128 + 32 * half, sc = o + 192 + 8 * half;
                int out = dOff + 128 * half;
                for (int c = 0; c < 32; c += L) {
                    long is = sc + c / 16;
                    for (int r = 0; r < 4; r++) run(w, ql + c, qh + c, r, d * w.get(JAVA_BYTE, is + 2 * r)).intoArray(dst, out + 32 * r + c);
                }
            }
        }
    }
}
