package dev.refusal4j.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Widens stored weights (F32, BF16, F16 and ggml blocks, little-endian in a {@link MemorySegment})
 * into F32 on the heap with the Vector API. The float types widen exactly for every input: BF16 is
 * the upper half of an F32, and F16 is re-biased bit by bit (subnormals, infinities and NaNs
 * included). A ggml block widens to the floats ggml's reference {@code dequantize_row_*} gives,
 * bit for bit: the {@code Kernel*} classes where {@link Species#BLOCK_KERNELS}, else that
 * reference itself ({@code GgmlType.dequantizeRow}).
 */
final class Widen {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final VectorSpecies<Float> F = Species.F;
    private static final VectorSpecies<Integer> I = Species.I;
    private static final VectorSpecies<Short> H = Species.HALF_SHORTS;

    private Widen() {}

    /** dst[dOff + i] = w[row, col + i] for i < len; for a block type, col and len are whole blocks. */
    static void row(Matrix w, int row, int col, int len, float[] dst, int dOff) {
        DType t = w.dtype;
        if (col % t.blockElements != 0 || len % t.blockElements != 0) {
            throw new IllegalArgumentException("columns [" + col + ", " + (col + len) + ") of " + w + " are not whole blocks");
        }
        long o = row * w.rowBytes() + t.bytes(col); // byte offset of w[row, col]
        int blocks = len / t.blockElements;
        if (t.quantized() && !Species.BLOCK_KERNELS) {
            t.ggml.dequantizeRow(w.data, o, dst, dOff, len);
            return;
        }
        switch (t) {
            case F32 -> MemorySegment.copy(w.data, Matrix.F32, o, dst, dOff, len);
            case BF16 -> bf16(w.data, o, len, dst, dOff);
            case F16 -> f16(w.data, o, len, dst, dOff);
            case Q8_0 -> KernelQ8_0.widen(w.data, o, blocks, dst, dOff);
            case Q4_0 -> KernelQ4_0.widen(w.data, o, blocks, dst, dOff);
            case Q5_0 -> KernelQ5_0.widen(w.data, o, blocks, dst, dOff);
            case Q4_K -> KernelQ4_K.widen(w.data, o, blocks, dst, dOff);
            case Q6_K -> KernelQ6_K.widen(w.data, o, blocks, dst, dOff);
        }
    }

    /** The L signed bytes at {@code byteOff} in int lanes (L = the float lane count; only where {@link Species#BLOCK_KERNELS}). */
    static IntVector bytesToInts(MemorySegment seg, long byteOff) {
        return (IntVector) ByteVector.fromMemorySegment(Species.QUARTER_BYTES, seg, byteOff, LE).convertShape(VectorOperators.B2I, I, 0);
    }

    /** The f16 at {@code byteOff}: the scales of ggml's blocks. */
    static float half(MemorySegment seg, long byteOff) {
        return Float.float16ToFloat(seg.get(Matrix.I16, byteOff));
    }

    static void bf16(MemorySegment seg, long byteOff, int len, float[] dst, int dOff) {
        int i = 0, upper = F.loopBound(len);
        for (; i < upper; i += F.length()) {
            ShortVector h = ShortVector.fromMemorySegment(H, seg, byteOff + 2L * i, LE);
            IntVector v = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
            v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, dOff + i);
        }
        for (; i < len; i++) dst[dOff + i] = DType.bf16ToFloat(seg.get(Matrix.I16, byteOff + 2L * i));
    }

    static void f16(MemorySegment seg, long byteOff, int len, float[] dst, int dOff) {
        int i = 0, upper = F.loopBound(len);
        for (; i < upper; i += F.length()) {
            ShortVector h = ShortVector.fromMemorySegment(H, seg, byteOff + 2L * i, LE);
            f16Bits((IntVector) h.convertShape(VectorOperators.S2I, I, 0)).intoArray(dst, dOff + i);
        }
        for (; i < len; i++) dst[dOff + i] = DType.f16ToFloat(seg.get(Matrix.I16, byteOff + 2L * i));
    }

    private static final int SHIFTED_EXP = 0x7C00 << 13; // F16 exponent field moved to the F32 position
    private static final FloatVector MAGIC = FloatVector.broadcast(F, Float.intBitsToFloat(113 << 23));

    /**
     * F16 bit patterns (sign-extended in the low 16 bits) to F32: shift exponent and mantissa into
     * place and re-bias the exponent; infinities/NaNs get the maximal exponent, and subnormals are
     * normalised by an exact float subtraction of 2^-14.
     */
    static FloatVector f16Bits(IntVector h) {
        IntVector o = h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13);
        IntVector exp = o.and(SHIFTED_EXP);
        o = o.add((127 - 15) << 23);
        VectorMask<Integer> infNan = exp.eq(SHIFTED_EXP);
        o = o.add(IntVector.zero(I).blend((128 - 16) << 23, infNan));
        VectorMask<Integer> small = exp.eq(0);
        FloatVector sub = o.add(1 << 23).reinterpretAsFloats().sub(MAGIC);
        IntVector normal = o;
        o = normal.blend(sub.reinterpretAsInts(), small);
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        return o.or(sign).reinterpretAsFloats();
    }
}
