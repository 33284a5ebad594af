package dev.refusal4j.tensor.quant;

/**
 * ggml's {@code block_q6_K}: 256 weights in 16 sub-blocks of 16, x = d·s·(q − 32) with q in 0..63
 * and a signed eight-bit scale s per sub-block.
 * <pre>
 *   bytes 0-127    ql[128]    low four bits: in each half of 128 weights (64 bytes), byte l holds
 *                             weight l (low nibble) and l+64 (high), byte 32+l weight 32+l and 96+l
 *   bytes 128-191  qh[64]     top two bits: in each half (32 bytes), byte l holds those of weights
 *                             l, 32+l, 64+l, 96+l at bits 0, 2, 4, 6
 *   bytes 192-207  scales[16] int8
 *   bytes 208-209  d          f16
 * </pre>
 */
public final class BlockQ6_K {
    public static final int ELEMENTS = 256;
    public static final int BYTES = 210;

    private BlockQ6_K() {}

    /** One block as ggml's {@code dequantize_row_q6_K}. */
    public static void dequantize(byte[] b, int o, float[] y, int yo) {
        float d = Bytes.f16(b, o + 208);
        for (int half = 0; half < 2; half++) {
            int ql = o + 64 * half, qh = o + 128 + 32 * half, sc = o + 192 + 8 * half, out = yo + 128 * half;
            for (int l = 0; l < 32; l++) {
                int is = l / 16, h = Bytes.u8(b, qh + l);
                int lo = Bytes.u8(b, ql + l), hi = Bytes.u8(b, ql + l + 32);
                int q1 = ((lo & 0xF) | ((h & 3) << 4)) - 32;
                int q2 = ((hi & 0xF) | (((h >>> 2) & 3) << 4)) - 32;
                int q3 = ((lo >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
                int q4 = ((hi >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
                y[out + l] = d * b[sc + is] * q1;
                y[out + l + 32] = d * b[sc + is + 2] * q2;
                y[out + l + 64] = d * b[sc + is + 4] * q3;
                y[out + l + 96] = d * b[sc + is + 6] * q4;
            }
        }
    }
}
