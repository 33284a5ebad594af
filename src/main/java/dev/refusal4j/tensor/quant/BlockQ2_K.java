package dev.refusal4j.tensor.quant;

/**
 * ggml's {@code block_q2_K}: 256 weights in 16 sub-blocks of 16, x = d·s·q − dmin·m with q in 0..3
 * and a four-bit scale s and min m per sub-block.
 * <pre>
 *   bytes 0-15   scales[16]  sub-block k: s in the low nibble, m in the high nibble
 *   bytes 16-79  qs[64]      two halves of 32 bytes, each holding 128 weights: bits 2i..2i+1 of
 *                            byte l are weight 32i + l of the half (l &lt; 32)
 *   bytes 80-81  d           f16
 *   bytes 82-83  dmin        f16
 * </pre>
 */
public final class BlockQ2_K {
    public static final int ELEMENTS = 256;
    public static final int BYTES = 84;

    private BlockQ2_K() {}

    /**
     * One block of 256 floats at {@code x[xo]} into {@code b[o..o+84)}, as ggml's
     * {@code quantize_row_q2_K_ref}: per sub-block of 16 a scale and min fitted to levels 0..3 by
     * absolute error weighted by |x| ({@code make_qkx2_quants}), both quantized to four bits against
     * the largest, then every level recomputed from the stored scale and min.
     */
    public static void quantize(float[] x, int xo, byte[] b, int o) {
        int[] L = new int[ELEMENTS], aux = new int[16];
        float[] weights = new float[16], mins = new float[16], scales = new float[16];
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 16; j++) {
            for (int l = 0; l < 16; l++) weights[l] = Math.abs(x[xo + 16 * j + l]);
            scales[j] = ScaleSearch.qkx2Quants(16, 3, x, xo + 16 * j, weights, L, 16 * j, mins, j, aux, -0.5f, 0.1f, 15, true);
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        int[] packed = new int[16]; // the scales bytes, kept as ints until stored
        float d = 0, dmin = 0;
        if (maxScale > 0) {
            float iscale = 15f / maxScale;
            for (int j = 0; j < 16; j++) packed[j] = ScaleSearch.nearestInt(iscale * scales[j]) & 0xFF;
            d = Bytes.putF16(b, o + 80, maxScale / 15f);
        } else {
            d = Bytes.putF16(b, o + 80, 0f);
        }
        if (maxMin > 0) {
            float iscale = 15f / maxMin;
            for (int j = 0; j < 16; j++) packed[j] = (packed[j] | ScaleSearch.nearestInt(iscale * mins[j]) << 4) & 0xFF;
            dmin = Bytes.putF16(b, o + 82, maxMin / 15f);
        } else {
            dmin = Bytes.putF16(b, o + 82, 0f);
        }
        for (int j = 0; j < 16; j++) {
            b[o + j] = (byte) packed[j];
            float dl = d * (packed[j] & 0xF);
            if (dl == 0) continue;
            float dm = dmin * (packed[j] >>> 4);
            for (int i = 0; i < 16; i++) L[16 * j + i] = ScaleSearch.clamp(ScaleSearch.nearestInt((x[xo + 16 * j + i] + dm) / dl), 0, 3);
        }
        ScaleSearch.pack2(L, b, o + 16);
    }

    /** One block as ggml's {@code dequantize_row_q2_K}. */
    public static void dequantize(byte[] b, int o, float[] y, int yo) {
        float d = Bytes.f16(b, o + 80), min = Bytes.f16(b, o + 82);
        int is = 0, out = yo;
        for (int half = 0; half < 2; half++) {
            int q = o + 16 + 32 * half;
            for (int shift = 0; shift < 8; shift += 2) {
                for (int part = 0; part < 32; part += 16) { // two sub-blocks of 16 share the shift
                    int sc = Bytes.u8(b, o + is++);
                    float dl = d * (sc & 0xF), ml = min * (sc >>> 4);
                    for (int l = 0; l < 16; l++) y[out++] = dl * ((Bytes.u8(b, q + part + l) >>> shift) & 3) - ml;
                }
            }
        }
    }
}
