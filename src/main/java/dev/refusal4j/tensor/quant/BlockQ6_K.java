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

    /**
     * One block of 256 floats at {@code x[xo]} into {@code b[o..o+210)}, as ggml's
     * {@code quantize_row_q6_K_ref}: per sub-block of 16 a signed scale for levels −32..31
     * ({@code make_qx_quants} with x² weights), the scales quantized to int8 against the one of
     * largest magnitude (−128 for it), then every level recomputed from the stored scale.
     */
    public static void quantize(float[] x, int xo, byte[] b, int o) {
        int[] L = new int[ELEMENTS];
        float[] scales = new float[16];
        float maxScale = 0, maxAbsScale = 0;
        for (int j = 0; j < 16; j++) {
            float scale = ScaleSearch.qxQuants(16, 32, x, xo + 16 * j, L, 16 * j);
            scales[j] = scale;
            if (Math.abs(scale) > maxAbsScale) {
                maxAbsScale = Math.abs(scale);
                maxScale = scale;
            }
        }
        if (maxAbsScale < ScaleSearch.GROUP_MAX_EPS) {
            java.util.Arrays.fill(b, o, o + BYTES, (byte) 0);
            return;
        }
        float iscale = -128f / maxScale;
        float d = Bytes.putF16(b, o + 208, 1 / iscale);
        for (int j = 0; j < 16; j++) b[o + 192 + j] = (byte) Math.min(127, ScaleSearch.nearestInt(iscale * scales[j]));
        for (int j = 0; j < 16; j++) {
            float dl = d * b[o + 192 + j];
            if (dl == 0) continue;
            for (int i = 0; i < 16; i++) L[16 * j + i] = ScaleSearch.clamp(ScaleSearch.nearestInt(x[xo + 16 * j + i] / dl), -32, 31) + 32;
        }
        for (int h = 0; h < 2; h++) {
            int ql = o + 64 * h, qh = o + 128 + 32 * h, j = 128 * h;
            for (int l = 0; l < 32; l++) {
                b[ql + l] = (byte) ((L[j + l] & 0xF) | (L[j + l + 64] & 0xF) << 4);
                b[ql + l + 32] = (byte) ((L[j + l + 32] & 0xF) | (L[j + l + 96] & 0xF) << 4);
                b[qh + l] = (byte) (L[j + l] >> 4 | (L[j + l + 32] >> 4) << 2 | (L[j + l + 64] >> 4) << 4 | (L[j + l + 96] >> 4) << 6);
            }
        }
    }

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
