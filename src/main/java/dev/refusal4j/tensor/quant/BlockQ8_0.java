package dev.refusal4j.tensor.quant;

/**
 * ggml's {@code block_q8_0}: 32 weights, x = d·q.
 * <pre>
 *   bytes 0-1    d       f16
 *   bytes 2-33   qs[32]  int8, weight j
 * </pre>
 */
public final class BlockQ8_0 {
    public static final int ELEMENTS = 32;
    public static final int BYTES = 34;

    private BlockQ8_0() {}

    /**
     * One block of 32 floats at {@code x[xo]} into {@code b[o..o+34)}, as ggml's
     * {@code quantize_row_q8_0_ref}: d = max|x| / 127 rounded to f16, q = roundf(x / d) (half away
     * from zero), with x / d computed as x · (1 / d) in float as ggml does.
     */
    public static void quantize(float[] x, int xo, byte[] b, int o) {
        float amax = 0f;
        for (int j = 0; j < ELEMENTS; j++) {
            float v = Math.abs(x[xo + j]);
            amax = amax > v ? amax : v; // ggml's MAX(amax, fabsf(v)): a NaN wins
        }
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        Bytes.putF16(b, o, d);
        for (int j = 0; j < ELEMENTS; j++) b[o + 2 + j] = (byte) roundf(x[xo + j] * id);
    }

    /** C's roundf: the nearest integer, halves away from zero (Math.round rounds them up). */
    private static int roundf(float v) {
        double a = Math.floor(Math.abs((double) v) + 0.5); // exact in double for every float
        return (int) Math.copySign(a, v);
    }

    /** One block as ggml's {@code dequantize_row_q8_0}. */
    public static void dequantize(byte[] b, int o, float[] y, int yo) {
        float d = Bytes.f16(b, o);
        for (int j = 0; j < ELEMENTS; j++) y[yo + j] = b[o + 2 + j] * d;
    }
}
