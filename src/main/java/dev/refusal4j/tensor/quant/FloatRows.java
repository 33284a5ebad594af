package dev.refusal4j.tensor.quant;

/**
 * The unquantized ggml types, one element per "block": F32 as is, F16 and BF16 widened exactly
 * (ggml's {@code ggml_fp16_to_fp32_row} and {@code ggml_bf16_to_fp32_row}; a signalling NaN comes
 * out quiet from F16 as from ggml, and BF16 keeps every bit), and narrowed as ggml's reference
 * conversions narrow them ({@code ggml_fp32_to_fp16_row}, {@code ggml_fp32_to_bf16_row_ref}: to
 * nearest even, NaNs quiet).
 */
public final class FloatRows {
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

    static void toF32(float[] x, int xo, byte[] b, int o) {
        Bytes.putI32(b, o, Float.floatToRawIntBits(x[xo]));
    }

    static void toF16(float[] x, int xo, byte[] b, int o) {
        Bytes.putU16(b, o, Bytes.f16Bits(x[xo]));
    }

    static void toBf16(float[] x, int xo, byte[] b, int o) {
        Bytes.putU16(b, o, floatToBf16(x[xo]));
    }

    /**
     * F32 to BF16, rounded to nearest even, NaN kept NaN (quiet): ggml's rounding, and torch's
     * {@code .to(torch.bfloat16)}; {@code tensor.DType.floatToBf16} is this.
     */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) return (short) ((bits >>> 16) | 0x0040); // quiet NaN
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
