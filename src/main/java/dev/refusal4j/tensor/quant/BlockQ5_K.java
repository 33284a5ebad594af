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

    /**
     * One block of 256 floats at {@code x[xo]} into {@code b[o..o+176)}, as ggml's
     * {@code quantize_row_q5_K_ref}: per sub-block of 32 a scale and min fitted to levels 0..31 by
     * squared error weighted by rms(x) + |x| ({@code make_qkx2_quants}, −0.5 + 0.1·is for is in
     * 0..15), both quantized to six bits against the largest, then every level recomputed from
     * the stored scale and min.
     */
    public static void quantize(float[] x, int xo, byte[] b, int o) {
        int[] L = new int[ELEMENTS];
        BlockQ4_K.levels(x, xo, b, o, L, 31, -0.5f, 15);
        for (int k = 0; k < 32; k++) b[o + 16 + k] = 0;
        for (int g = 0; g < 4; g++) { // the fifth bits of weights 64g + l and 64g + 32 + l: bits 2g and 2g + 1 of qh[l]
            for (int l = 0; l < 32; l++) {
                int l1 = L[64 * g + l], l2 = L[64 * g + 32 + l];
                if (l1 > 15) {
                    l1 -= 16;
                    b[o + 16 + l] |= (byte) (1 << 2 * g);
                }
                if (l2 > 15) {
                    l2 -= 16;
                    b[o + 16 + l] |= (byte) (2 << 2 * g);
                }
                b[o + 48 + 32 * g + l] = (byte) (l1 | l2 << 4);
            }
        }
    }

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
