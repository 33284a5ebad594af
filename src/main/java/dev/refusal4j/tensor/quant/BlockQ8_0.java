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

    /** One block as ggml's {@code dequantize_row_q8_0}. */
    public static void dequantize(byte[] b, int o, float[] y, int yo) {
        float d = Bytes.f16(b, o);
        for (int j = 0; j < ELEMENTS; j++) y[yo + j] = b[o + 2 + j] * d;
    }
}
