package dev.refusal4j.tensor.quant;

/**
 * ggml's {@code block_q4_1}: 32 weights, x = d·q + m with q in 0..15.
 * <pre>
 *   bytes 0-1    d       f16
 *   bytes 2-3    m       f16
 *   bytes 4-19   qs[16]  byte j: weight j in the low nibble, weight j+16 in the high nibble
 * </pre>
 */
public final class BlockQ4_1 {
    public static final int ELEMENTS = 32;
    public static final int BYTES = 20;

    private BlockQ4_1() {}

    /**
     * One block of 32 floats at {@code x[xo]} into {@code b[o..o+20)}, as ggml's
     * {@code quantize_row_q4_1_ref}: m = min, d = (max − min) / 15, q = min(15, (int8) ((x − m) / d
     * + 0.5)), the division as a product with 1 / d; m is stored as a half but used unrounded.
     */
    public static void quantize(float[] x, int xo, byte[] b, int o) {
        float min = ScaleSearch.min(x, xo, ELEMENTS);
        float d = (ScaleSearch.max(x, xo, ELEMENTS) - min) / 15;
        float id = d != 0 ? 1.0f / d : 0.0f;
        Bytes.putF16(b, o, d);
        Bytes.putF16(b, o + 2, min);
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(15, (byte) ScaleSearch.truncate((x[xo + j] - min) * id + 0.5f)) & 0xFF;
            int q1 = Math.min(15, (byte) ScaleSearch.truncate((x[xo + 16 + j] - min) * id + 0.5f)) & 0xFF;
            b[o + 4 + j] = (byte) (q0 | q1 << 4);
        }
    }

    /** One block as ggml's {@code dequantize_row_q4_1}. */
    public static void dequantize(byte[] b, int o, float[] y, int yo) {
        float d = Bytes.f16(b, o), m = Bytes.f16(b, o + 2);
        for (int j = 0; j < 16; j++) {
            int q = Bytes.u8(b, o + 4 + j);
            y[yo + j] = (q & 0x0F) * d + m;
            y[yo + j + 16] = (q >>> 4) * d + m;
        }
    }
}
