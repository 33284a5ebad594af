package dev.refusal4j.tensor;

import dev.refusal4j.tensor.quant.FloatRows;
import dev.refusal4j.tensor.quant.GgmlType;

/**
 * Element types of stored weights: the float types, and the ggml block formats that the kernels
 * multiply in place ({@link #blockElements} weights in {@link #blockBytes} bytes, widened to F32
 * in registers). Activations are always F32 on the Java heap. A row of a matrix is a whole number
 * of blocks; the float types are blocks of one element.
 */
public enum DType {
    F32(GgmlType.F32), BF16(GgmlType.BF16), F16(GgmlType.F16),
    Q8_0(GgmlType.Q8_0), Q4_0(GgmlType.Q4_0), Q5_0(GgmlType.Q5_0), Q4_K(GgmlType.Q4_K), Q6_K(GgmlType.Q6_K);

    /** The ggml type of the same layout (its reference dequantizer is what the kernels must equal). */
    public final GgmlType ggml;
    public final int blockElements;
    public final int blockBytes;

    DType(GgmlType ggml) {
        this.ggml = ggml;
        this.blockElements = ggml.blockElements;
        this.blockBytes = ggml.blockBytes;
    }

    /** Whether this is a ggml block format rather than one float per element. */
    public boolean quantized() {
        return blockElements > 1;
    }

    /** Bytes of {@code elements} weights, which must be a whole number of blocks. */
    public long bytes(long elements) {
        if (elements < 0 || elements % blockElements != 0) {
            throw new IllegalArgumentException(elements + " elements are not a whole number of " + this + " blocks of " + blockElements);
        }
        return Math.multiplyExact(elements / blockElements, (long) blockBytes);
    }

    /** The dtype a GGUF tensor of ggml type {@code t} is used in place as, or null when no kernel reads that type. */
    public static DType of(GgmlType t) {
        for (DType d : values()) if (d.ggml == t) return d;
        return null;
    }

    /** The dtype named as in a safetensors header ("F32", "BF16", "F16"), or null if unsupported. */
    public static DType fromSafetensors(String name) {
        return switch (name) {
            case "F32" -> F32;
            case "BF16" -> BF16;
            case "F16" -> F16;
            default -> null;
        };
    }

    /** BF16 is the upper half of an F32: widening is exact. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** Round-to-nearest-even F32 to BF16, as torch's {@code .to(torch.bfloat16)} does; NaN stays NaN. */
    public static short floatToBf16(float f) {
        return FloatRows.floatToBf16(f); // tensor.quant writes BF16 rows too, and depends on nothing here
    }

    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    public static short floatToF16(float f) {
        return Float.floatToFloat16(f);
    }
}
