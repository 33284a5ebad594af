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

    /**
     * One block of 256 floats at {@code x[xo]} into {@code b[o..o+144)}, as ggml's
     * {@code quantize_row_q4_K_ref}: per sub-block of 32 a scale and min fitted to levels 0..15 by
     * squared error weighted by rms(x) + |x| ({@code make_qkx2_quants}, −1 + 0.1·is for is in
     * 0..20), both quantized to six bits against the largest, then every level recomputed from
     * the stored scale and min.
     */
    public static void quantize(float[] x, int xo, byte[] b, int o) {
        int[] L = new int[ELEMENTS];
        levels(x, xo, b, o, L, 15, -1f, 20);
        for (int g = 0; g < 4; g++) {
            for (int l = 0; l < 32; l++) b[o + 16 + 32 * g + l] = (byte) (L[64 * g + l] | L[64 * g + 32 + l] << 4);
        }
    }
    /**
     * The scales, mins and levels that Q4_K and Q5_K share: fills d, dmin and the twelve scale
     * bytes at {@code b[o..o+16)} and {@code L} with levels in 0..nmax.
     */
    static void levels(float[] x, int xo, byte[] b, int o, int[] L, int nmax, float rmin, int nstep) {
        int[] aux = new int[32];
        float[] weights = new float[32], mins = new float[8], scales = new float[8];
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 8; j++) {
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) sumX2 += x[xo + 32 * j + l] * x[xo + 32 * j + l];
            float avX = (float) Math.sqrt(sumX2 / 32); // the float square root, correctly rounded as sqrtf
            for (int l = 0; l < 32; l++) weights[l] = avX + Math.abs(x[xo + 32 * j + l]);
            scales[j] = ScaleSearch.qkx2Quants(32, nmax, x, xo + 32 * j, weights, L, 32 * j, mins, j, aux, rmin, 0.1f, nstep, false);
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        float invScale = maxScale > 0 ? 63f / maxScale : 0f;
        float invMin = maxMin > 0 ? 63f / maxMin : 0f;
        int[] packed = new int[12];
        for (int j = 0; j < 8; j++) {
            int ls = Math.min(63, ScaleSearch.nearestInt(invScale * scales[j]) & 0xFF);
            int lm = Math.min(63, ScaleSearch.nearestInt(invMin * mins[j]) & 0xFF);
            if (j < 4) {
                packed[j] = ls;
                packed[j + 4] = lm;
            } else {
                packed[j + 4] = (ls & 0xF) | (lm & 0xF) << 4;
                packed[j - 4] |= (ls >>> 4) << 6;
                packed[j] |= (lm >>> 4) << 6;
            }
        }
        for (int k = 0; k < 12; k++) b[o + 4 + k] = (byte) packed[k];
        float d = Bytes.putF16(b, o, maxScale / 63f);
        float dmin = Bytes.putF16(b, o + 2, maxMin / 63f);
        for (int j = 0; j < 8; j++) {
            float dl = d * scale(j, b, o + 4);
            if (dl == 0) continue;
            float dm = dmin * min(j, b, o + 4);
            for (int i = 0; i < 32; i++) L[32 * j + i] = ScaleSearch.clamp(ScaleSearch.nearestInt((x[xo + 32 * j + i] + dm) / dl), 0, nmax);
        }
    }

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
