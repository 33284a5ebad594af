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
