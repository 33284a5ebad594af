package dev.refusal4j.tensor.quant;

/**
 * The unquantized ggml types, one element per "block": F32 as is, F16 and BF16 widened exactly
 * (ggml's {@code ggml_fp16_to_fp32_row} and {@code ggml_bf16_to_fp32_row}; a signalling NaN comes
 * out quiet from F16 as from ggml, and BF16 keeps every bit).
 */
final class FloatRows {
    private FloatRows() {}

    static void f32(byte[] b, int o, float[] y, int yo) {
        y[yo] = Float.intBitsToFloat(Bytes.i32(b, o));
    }

    static void f16(byte[] b, int o, float[] y, int yo) {
        y[yo] = Bytes.f16(b, o);
    }

    /** BF16 is the upper half of an F32. */
    static void bf16(byte[] b, int o, float[] y, int yo) {
        y[yo] = Float.intBitsToFloat(Bytes.u16(b, o) << 16);
    }
}
