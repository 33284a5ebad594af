package dev.refusal4j.tensor.quant;

/**
 * ggml's {@code block_q4_K}: 256 weights in 8 sub-blocks of 32, x = d·s·q − dmin·m with q in 0..15
 * and a six-bit scale s and min m per sub-block.
 * <pre>
 *   bytes 0-1     d          f16
 *   bytes 2-3     dmin       f16
 *   bytes 4-15    scales[12] eight six-bit scales and eight six-bit mins ({@link #scale}, {@link #min})
 *   bytes 16-143  qs[128]    four groups of 32 bytes; byte l of group g holds weight 64g + l (low
 *                            nibble, sub-block 2g) and 64g + 32 + l (high nibble, sub-block 2g+1)
 * </pre>
 */
public final class BlockQ4_K {
    public static final int ELEMENTS = 256;
    public static final int BYTES = 144;

    private BlockQ4_K() {}

    /** One block as ggml's {@code dequantize_row_q4_K}. */
    public static void dequantize(byte[] b, int o, float[] y, int yo) {
        float d = Bytes.f16(b, o), min = Bytes.f16(b, o + 2);
        int out = yo;
        for (int g = 0; g < 4; g++) {
            int q = o + 16 + 32 * g;
            float d1 = d * scale(2 * g, b, o + 4), m1 = min * min(2 * g, b, o + 4);
            float d2 = d * scale(2 * g + 1, b, o + 4), m2 = min * min(2 * g + 1, b, o + 4);
            for (int l = 0; l < 32; l++) y[out++] = d1 * (Bytes.u8(b, q + l) & 0xF) - m1;
            for (int l = 0; l < 32; l++) y[out++] = d2 * (Bytes.u8(b, q + l) >>> 4) - m2;
        }
    }

    /**
     * Six-bit scale j of the 12 packed bytes at {@code s} (ggml's {@code get_scale_min_k4}, shared
     * by Q4_K and Q5_K): for j &lt; 4 the low six bits of byte j; otherwise the low nibble of byte
     * j+4 with the top two bits of byte j−4 above it.
     */
    public static int scale(int j, byte[] b, int s) {
        return j < 4 ? Bytes.u8(b, s + j) & 63
                : (Bytes.u8(b, s + j + 4) & 0xF) | ((Bytes.u8(b, s + j - 4) >>> 6) << 4);
    }

    /** Six-bit min j: for j &lt; 4 the low six bits of byte j+4; otherwise the high nibble of byte j+4 with the top two bits of byte j above it. */
    public static int min(int j, byte[] b, int s) {
        return j < 4 ? Bytes.u8(b, s + j + 4) & 63
                : (Bytes.u8(b, s + j + 4) >>> 4) | ((Bytes.u8(b, s + j) >>> 6) << 4);
    }
}
