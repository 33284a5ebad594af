package dev.refusal4j.tensor.quant;

/**
 * ggml's {@code block_q5_K}: 256 weights in 8 sub-blocks of 32, x = d·s·q − dmin·m with q in 0..31
 * and a six-bit scale s and min m per sub-block (packed as in {@link BlockQ4_K}).
 * <pre>
 *   bytes 0-1     d          f16
 *   bytes 2-3     dmin       f16
 *   bytes 4-15    scales[12] as {@link BlockQ4_K#scale} and {@link BlockQ4_K#min}
 *   bytes 16-47   qh[32]     bit k of byte l: fifth bit of weight 32k + l
 *   bytes 48-175  qs[128]    low four bits, laid out as Q4_K's qs
 * </pre>
 */
public final class BlockQ5_K {
    public static final int ELEMENTS = 256;
    public static final int BYTES = 176;

    private BlockQ5_K() {}

    /** One block as ggml's {@code dequantize_row_q5_K}. */
    public static void dequantize(byte[] b, int o, float[] y, int yo) {
        float d = Bytes.f16(b, o), min = Bytes.f16(b, o + 2);
        int out = yo, u1 = 1, u2 = 2;
        for (int g = 0; g < 4; g++, u1 <<= 2, u2 <<= 2) {
            int ql = o + 48 + 32 * g, qh = o + 16;
            float d1 = d * BlockQ4_K.scale(2 * g, b, o + 4), m1 = min * BlockQ4_K.min(2 * g, b, o + 4);
            float d2 = d * BlockQ4_K.scale(2 * g + 1, b, o + 4), m2 = min * BlockQ4_K.min(2 * g + 1, b, o + 4);
            for (int l = 0; l < 32; l++) {
                y[out++] = d1 * ((Bytes.u8(b, ql + l) & 0xF) + ((Bytes.u8(b, qh + l) & u1) != 0 ? 16 : 0)) - m1;
            }
            for (int l = 0; l < 32; l++) {
                y[out++] = d2 * ((Bytes.u8(b, ql + l) >>> 4) + ((Bytes.u8(b, qh + l) & u2) != 0 ? 16 : 0)) - m2;
            }
        }
    }
}
