package dev.refusal4j.tensor.quant;

/**
 * ggml's {@code block_q4_0}: 32 weights, x = d·(q − 8) with q in 0..15.
 * <pre>
 *   bytes 0-1    d       f16
 *   bytes 2-17   qs[16]  byte j: weight j in the low nibble, weight j+16 in the high nibble
 * </pre>
 */
public final class BlockQ4_0 {
    public static final int ELEMENTS = 32;
    public static final int BYTES = 18;

    private BlockQ4_0() {}

    /** One block as ggml's {@code dequantize_row_q4_0}. */
    public static void dequantize(byte[] b, int o, float[] y, int yo) {
        float d = Bytes.f16(b, o);
        for (int j = 0; j < 16; j++) {
            int q = Bytes.u8(b, o + 2 + j);
            y[yo + j] = ((q & 0x0F) - 8) * d;
            y[yo + j + 16] = ((q >>> 4) - 8) * d;
        }
    }
}
