package dev.refusal4j.tensor.quant;

/**
 * ggml's {@code block_q5_0}: 32 weights, x = d·(q − 16) with q in 0..31.
 * <pre>
 *   bytes 0-1    d       f16
 *   bytes 2-5    qh      u32, bit j: the fifth bit of weight j
 *   bytes 6-21   qs[16]  byte j: low four bits of weight j (low nibble) and of weight j+16 (high nibble)
 * </pre>
 */
public final class BlockQ5_0 {
    public static final int ELEMENTS = 32;
    public static final int BYTES = 22;

    private BlockQ5_0() {}

    /**
     * One block of 32 floats at {@code x[xo]} into {@code b[o..o+22)}, as ggml's
     * {@code quantize_row_q5_0_ref}: d = v / −16 for the value v of largest magnitude, q = min(31,
     * (int8) (x / d + 16.5)), the division as a product with 1 / d.
     */
    public static void quantize(float[] x, int xo, byte[] b, int o) {
        float d = ScaleSearch.largest(x, xo, ELEMENTS) / -16;
        float id = d != 0 ? 1.0f / d : 0.0f;
        Bytes.putF16(b, o, d);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(31, (byte) ScaleSearch.truncate(x[xo + j] * id + 16.5f)) & 0xFF;
            int q1 = Math.min(31, (byte) ScaleSearch.truncate(x[xo + 16 + j] * id + 16.5f)) & 0xFF;
            b[o + 6 + j] = (byte) ((q0 & 0x0F) | (q1 & 0x0F) << 4);
            qh |= ((q0 & 0x10) >>> 4) << j;
            qh |= ((q1 & 0x10) >>> 4) << (j + 16);
        }
        Bytes.putI32(b, o + 2, qh);
    }

    /** One block as ggml's {@code dequantize_row_q5_0}. */
    public static void dequantize(byte[] b, int o, float[] y, int yo) {
        float d = Bytes.f16(b, o);
        int qh = Bytes.i32(b, o + 2);
        for (int j = 0; j < 16; j++) {
            int q = Bytes.u8(b, o + 6 + j);
            int h0 = ((qh >>> j) << 4) & 0x10, h1 = (qh >>> (j + 12)) & 0x10;
            y[yo + j] = (((q & 0x0F) | h0) - 16) * d;
            y[yo + j + 16] = (((q >>> 4) | h1) - 16) * d;
        }
    }
}
