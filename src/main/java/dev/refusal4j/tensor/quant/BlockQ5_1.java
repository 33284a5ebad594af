package dev.refusal4j.tensor.quant;

/**
 * ggml's {@code block_q5_1}: 32 weights, x = d·q + m with q in 0..31.
 * <pre>
 *   bytes 0-1    d       f16
 *   bytes 2-3    m       f16
 *   bytes 4-7    qh      u32, bit j: the fifth bit of weight j
 *   bytes 8-23   qs[16]  byte j: low four bits of weight j (low nibble) and of weight j+16 (high nibble)
 * </pre>
 */
public final class BlockQ5_1 {
    public static final int ELEMENTS = 32;
    public static final int BYTES = 24;

    private BlockQ5_1() {}

    /**
     * One block of 32 floats at {@code x[xo]} into {@code b[o..o+24)}, as ggml's
     * {@code quantize_row_q5_1_ref}: m = min, d = (max − min) / 31, q = (uint8) ((x − m) / d + 0.5),
     * the division as a product with 1 / d.
     */
    public static void quantize(float[] x, int xo, byte[] b, int o) {
        float min = ScaleSearch.min(x, xo, ELEMENTS);
        float d = (ScaleSearch.max(x, xo, ELEMENTS) - min) / 31;
        float id = d != 0 ? 1.0f / d : 0.0f;
        Bytes.putF16(b, o, d);
        Bytes.putF16(b, o + 2, min);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int q0 = ScaleSearch.truncate((x[xo + j] - min) * id + 0.5f) & 0xFF;
            int q1 = ScaleSearch.truncate((x[xo + 16 + j] - min) * id + 0.5f) & 0xFF;
            b[o + 8 + j] = (byte) ((q0 & 0x0F) | (q1 & 0x0F) << 4);
            qh |= ((q0 & 0x10) >>> 4) << j;
            qh |= ((q1 & 0x10) >>> 4) << (j + 16);
        }
        Bytes.putI32(b, o + 4, qh);
    }

    /** One block as ggml's {@code dequantize_row_q5_1}. */
    public static void dequantize(byte[] b, int o, float[] y, int yo) {
        float d = Bytes.f16(b, o), m = Bytes.f16(b, o + 2);
        int qh = Bytes.i32(b, o + 4);
        for (int j = 0; j < 16; j++) {
            int q = Bytes.u8(b, o + 8 + j);
            int h0 = ((qh >>> j) << 4) & 0x10, h1 = (qh >>> (j + 12)) & 0x10;
            y[yo + j] = ((q & 0x0F) | h0) * d + m;
            y[yo + j + 16] = ((q >>> 4) | h1) * d + m;
        }
    }
}
