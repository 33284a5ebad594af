package dev.refusal4j.tensor.quant;

/**
 * ggml's {@code block_q3_K}: 256 weights in 16 sub-blocks of 16, x = d·(s − 32)·(q − 4h̄) with q
 * in 0..3 from qs, h̄ = 1 when the weight's hmask bit is clear, and a six-bit scale s per sub-block.
 * <pre>
 *   bytes 0-31    hmask[32]  bit i of byte l: high bit of weight 32i + l
 *   bytes 32-95   qs[64]     as in {@link BlockQ2_K}: two halves, bits 2i..2i+1 of byte l
 *   bytes 96-107  scales[12] sixteen six-bit scales: the low four bits of scale k in byte k mod 8
 *                            (low nibble for k &lt; 8, high for k ≥ 8), the top two bits in byte
 *                            8 + k mod 4, bits 2·(k / 4)..+1
 *   bytes 108-109 d          f16
 * </pre>
 */
public final class BlockQ3_K {
    public static final int ELEMENTS = 256;
    public static final int BYTES = 110;

    private BlockQ3_K() {}

    /**
     * One block of 256 floats at {@code x[xo]} into {@code b[o..o+110)}, as ggml's
     * {@code quantize_row_q3_K_ref}: per sub-block of 16 a signed scale for levels −4..3
     * ({@code make_q3_quants}), the scales quantized to six bits against the one of largest
     * magnitude, then every level recomputed from the stored scale.
     */
    public static void quantize(float[] x, int xo, byte[] b, int o) {
        int[] L = new int[ELEMENTS];
        float[] scales = new float[16];
        float maxScale = 0, amax = 0;
        for (int j = 0; j < 16; j++) {
            scales[j] = ScaleSearch.q3Quants(16, 4, x, xo + 16 * j, L, 16 * j);
            float scale = Math.abs(scales[j]);
            if (scale > amax) {
                amax = scale;
                maxScale = scales[j];
            }
        }
        int[] packed = new int[12];
        float d;
        if (maxScale != 0) {
            float iscale = -32f / maxScale;
            for (int j = 0; j < 16; j++) {
                int l = ScaleSearch.clamp((byte) ScaleSearch.nearestInt(iscale * scales[j]), -32, 31) + 32;
                if (j < 8) packed[j] = l & 0xF;
                else packed[j - 8] |= (l & 0xF) << 4;
                packed[j % 4 + 8] |= (l >>> 4) << (2 * (j / 4));
            }
            d = Bytes.putF16(b, o + 108, 1 / iscale);
        } else {
            d = Bytes.putF16(b, o + 108, 0f);
        }
        for (int k = 0; k < 12; k++) b[o + 96 + k] = (byte) packed[k];
        int[] sc = scales(b, o + 96);
        for (int j = 0; j < 16; j++) {
            float dl = d * (sc[j] - 32);
            if (dl == 0) continue;
            for (int i = 0; i < 16; i++) L[16 * j + i] = ScaleSearch.clamp(ScaleSearch.nearestInt(x[xo + 16 * j + i] / dl), -4, 3) + 4;
        }
        // the third bit of weight j goes to bit j / 32 of hmask byte j % 32
        for (int k = 0; k < 32; k++) b[o + k] = 0;
        for (int j = 0; j < ELEMENTS; j++) {
            if (L[j] > 3) {
                b[o + j % 32] |= (byte) (1 << (j / 32));
                L[j] -= 4;
            }
        }
        ScaleSearch.pack2(L, b, o + 32);
    }

    /** One block as ggml's {@code dequantize_row_q3_K}. */
    public static void dequantize(byte[] b, int o, float[] y, int yo) {
        float dAll = Bytes.f16(b, o + 108);
        int[] scales = scales(b, o + 96);
        int is = 0, out = yo, m = 1;
        for (int half = 0; half < 2; half++) {
            int q = o + 32 + 32 * half;
            for (int shift = 0; shift < 8; shift += 2, m <<= 1) {
                for (int part = 0; part < 32; part += 16) {
                    float dl = dAll * (scales[is++] - 32);
                    for (int l = 0; l < 16; l++) {
                        int low = (Bytes.u8(b, q + part + l) >>> shift) & 3;
                        int high = (Bytes.u8(b, o + part + l) & m) != 0 ? 0 : 4;
                        y[out++] = dl * (low - high);
                    }
                }
            }
        }
    }

    /** The sixteen six-bit scales, unpacked as ggml's kmask1/kmask2 shuffle of three 32-bit words. */
    static int[] scales(byte[] b, int o) {
        int a0 = Bytes.i32(b, o), a1 = Bytes.i32(b, o + 4), tmp = Bytes.i32(b, o + 8);
        final int kmask1 = 0x03030303, kmask2 = 0x0f0f0f0f;
        int[] words = {
            (a0 & kmask2) | (((tmp >>> 0) & kmask1) << 4),
            (a1 & kmask2) | (((tmp >>> 2) & kmask1) << 4),
            ((a0 >>> 4) & kmask2) | (((tmp >>> 4) & kmask1) << 4),
            ((a1 >>> 4) & kmask2) | (((tmp >>> 6) & kmask1) << 4),
        };
        int[] s = new int[16];
        for (int k = 0; k < 16; k++) s[k] = (words[k >>> 2] >>> (8 * (k & 3))) & 0xFF;
        return s;
    }
}
