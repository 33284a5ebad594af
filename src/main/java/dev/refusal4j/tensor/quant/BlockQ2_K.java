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
