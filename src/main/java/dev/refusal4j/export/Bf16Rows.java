package dev.refusal4j.export;

import dev.refusal4j.tensor.DType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The export's BF16 row kernels in float lanes, straight from the mapped input to the output buffer.
 *
 * <p>One int lane holds two BF16 values: {@code lane << 16} is the even element and
 * {@code lane & 0xFFFF0000} the odd one, so rows are widened and narrowed without any cross-lane
 * shuffle. The float vectors they meet (r̂, or the column sums r̂ᵀW) are stored <em>paired</em> to
 * match: in every block of {@link #BLOCK} elements, the L even-indexed values, then the L odd-indexed
 * ones; a row's last {@code n % BLOCK} elements stay in order and take the scalar path.
 *
 * <p>Float accumulation is exact enough for BF16: its error (about √n · 2⁻²⁴ relative) is far below
 * the 2⁻⁸ of the final rounding, which the orthogonality bound allows for. Sums are folded in a fixed
 * order, so an export is reproducible byte for byte.
 */
final class Bf16Rows {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final int L = F.length();
    static final int BLOCK = 2 * L; // BF16 elements per int vector
    /** Row bytes of {@link #warmUp}: whole blocks and a tail, short because the first calls are interpreted. */
    static final int WARM_UP_BYTES = 2 * (2 * BLOCK + BLOCK / 2);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int HIGH = 0xFFFF0000;

    private Bf16Rows() {}

    /** v[from .. from + n) as float in paired order. */
    static float[] paired(double[] v, int from, int n) {
        float[] p = new float[n];
        int blocks = n - n % BLOCK;
        for (int k = 0; k < blocks; k += BLOCK) {
            for (int i = 0; i < L; i++) {
                p[k + i] = (float) v[from + k + 2 * i];
                p[k + L + i] = (float) v[from + k + 2 * i + 1];
            }
        }
        for (int k = blocks; k < n; k++) p[k] = (float) v[from + k];
        return p;
    }

    /** Paired p back to natural order (for tests). */
    static float[] natural(float[] p) {
        float[] v = new float[p.length];
        int blocks = p.length - p.length % BLOCK;
        for (int k = 0; k < blocks; k += BLOCK) {
            for (int i = 0; i < L; i++) {
                v[k + 2 * i] = p[k + i];
                v[k + 2 * i + 1] = p[k + L + i];
            }
        }
        System.arraycopy(p, blocks, v, blocks, p.length - blocks);
        return v;
    }

    /** Σ_j row_j · u_j over the n BF16 elements at byte offset {@code off}; u paired. */
    static float dot(MemorySegment row, long off, float[] u, int n) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int k = 0, blocks = n - n % BLOCK;
        for (; k < blocks; k += BLOCK) {
            IntVector v = IntVector.fromMemorySegment(I, row, off + 2L * k, LE);
            a0 = even(v).fma(FloatVector.fromArray(F, u, k), a0);
            a1 = odd(v).fma(FloatVector.fromArray(F, u, k + L), a1);
        }
        float s = sum(a0.add(a1));
        for (; k < n; k++) s = Math.fma(bf16(row, off + 2L * k), u[k], s);
        return s;
    }

    /** An embedding row: dst = BF16(x − (u·x) u), u paired; non-finite rows take the exact scalar path. */
    static void projectRow(MemorySegment src, long srcOff, float[] u, MemorySegment dst, long dstOff, int n) {
        float d = dot(src, srcOff, u, n);
        // a finite u·x means a finite row (an Inf or NaN element, times u_j or 0, is not finite)
        if (Float.isFinite(d)) subtractScaled(src, srcOff, u, d, dst, dstOff, n);
        else subtractScaledExact(src, srcOff, u, d, dst, dstOff, 0, n);
    }

    /**
     * dst row = BF16(src row − scale · v) over n elements, rounded to nearest even like
     * {@link DType#floatToBf16}; v paired. Every input must be finite (then no NaN can arise, and the
     * rounding needs no NaN case: an overflow still rounds to the infinity it should).
     */
    static void subtractScaled(MemorySegment src, long srcOff, float[] v, float scale, MemorySegment dst, long dstOff, int n) {
        FloatVector minus = FloatVector.broadcast(F, -scale);
        int k = 0, blocks = n - n % BLOCK;
        for (; k < blocks; k += BLOCK) {
            IntVector x = IntVector.fromMemorySegment(I, src, srcOff + 2L * k, LE);
            IntVector e = round(minus.fma(FloatVector.fromArray(F, v, k), even(x)));
            IntVector o = round(minus.fma(FloatVector.fromArray(F, v, k + L), odd(x)));
            e.lanewise(VectorOperators.LSHR, 16).or(o.and(HIGH)).intoMemorySegment(dst, dstOff + 2L * k, LE);
        }
        subtractScaledExact(src, srcOff, v, scale, dst, dstOff, k, n);
    }

    /** Elements [from, n) of {@link #subtractScaled} one by one, for any input (NaN stays NaN); v paired. */
    static void subtractScaledExact(MemorySegment src, long srcOff, float[] v, float scale, MemorySegment dst, long dstOff, int from, int n) {
        for (int k = from; k < n; k++) {
            float x = bf16(src, srcOff + 2L * k);
            dst.set(I16, dstOff + 2L * k, DType.floatToBf16(Math.fma(-scale, v[pairedIndex(k, n)], x)));
        }
    }

    /** Where element k of a row of n lies in paired order. */
    static int pairedIndex(int k, int n) {
        if (k >= n - n % BLOCK) return k;
        int j = k % BLOCK;
        return k - j + (j % 2 == 0 ? j / 2 : L + j / 2);
    }

    static boolean allFinite(float[] v) {
        for (float x : v) if (!Float.isFinite(x)) return false;
        return true;
    }

    /** s[c0 .. c1) += u · row[c0 .. c1) (c0 a multiple of {@link #BLOCK}); s paired over the whole row. */
    static void accumulate(MemorySegment row, long off, float u, float[] s, int c0, int c1, int n) {
        FloatVector uv = FloatVector.broadcast(F, u);
        int blocks = n - n % BLOCK, k = c0, end = Math.min(c1, blocks);
        for (; k < end; k += BLOCK) {
            IntVector x = IntVector.fromMemorySegment(I, row, off + 2L * k, LE);
            even(x).fma(uv, FloatVector.fromArray(F, s, k)).intoArray(s, k);
            odd(x).fma(uv, FloatVector.fromArray(F, s, k + L)).intoArray(s, k + L);
        }
        for (k = Math.max(k, blocks); k < c1; k++) s[k] = Math.fma(bf16(row, off + 2L * k), u, s[k]);
    }

    /**
     * Runs every kernel a few thousand times on small rows, so that the JIT has compiled them before
     * the first real tensor arrives: until then the Vector API runs in the interpreter or C1, some
     * hundred times slower, and an export lasts only seconds. {@code src} should be a mapped segment
     * and {@code dst} a direct buffer's, of {@link #WARM_UP_BYTES} bytes each, as in the real calls
     * (the JIT specializes on their classes); their contents do not matter.
     */
    static void warmUp(MemorySegment src, MemorySegment dst) {
        int n = WARM_UP_BYTES / 2;
        float[] u = new float[n], s = new float[n];
        java.util.Arrays.fill(u, 0.25f);
        for (int k = 0; k < 3000; k++) {
            float d = dot(src, 0, u, n);
            subtractScaled(src, 0, u, Float.isFinite(d) ? d : 0, dst, 0, n); // the bytes may be NaNs: only the speed matters
            accumulate(src, 0, 0.5f, s, 0, n, n);
        }
    }

    private static FloatVector even(IntVector x) {
        return x.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    private static FloatVector odd(IntVector x) {
        return x.and(HIGH).reinterpretAsFloats();
    }

    /** Finite F32 to BF16 bits in the upper half of each lane (the lower half is garbage): round to nearest even. */
    private static IntVector round(FloatVector f) {
        IntVector b = f.reinterpretAsInts();
        return b.add(b.lanewise(VectorOperators.LSHR, 16).and(1)).add(0x7FFF);
    }

    private static float bf16(MemorySegment seg, long off) {
        return DType.bf16ToFloat(seg.get(I16, off));
    }

    /** Lane sum in a fixed order (reduceLanes leaves the order open). */
    private static float sum(FloatVector v) {
        float s = 0;
        for (int i = 0; i < L; i++) s += v.lane(i);
        return s;
    }
}
