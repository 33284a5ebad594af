package dev.refusal4j.organism.nn;

/**
 * Rotary position embedding in Hugging Face's rotate-half pairing (dimension j with j + hd/2),
 * forward and backward, applied in place.
 * <pre>
 *   x [rows, heads·hd], pos [rows]
 *   forward:  (a, b) → (a·cos − b·sin, b·cos + a·sin)      angle = pos · theta^(−2j/hd)
 *   backward: the transposed rotation, (da, db) → (da·cos + db·sin, db·cos − da·sin)
 * </pre>
 * Angles in double, cos/sin rounded to float, as {@code model.Rope} computes them.
 */
final class Rotary {
    private final int half;
    private final float[] cos, sin; // (positions, half)

    Rotary(int headDim, double theta, int positions) {
        half = headDim / 2;
        cos = new float[positions * half];
        sin = new float[positions * half];
        for (int i = 0; i < half; i++) {
            double f = Math.pow(theta, -2.0 * i / headDim);
            for (int p = 0; p < positions; p++) {
                cos[p * half + i] = (float) Math.cos(p * f);
                sin[p * half + i] = (float) Math.sin(p * f);
            }
        }
    }

    /** Rotates the {@code heads} vectors of row x[off ..] at position pos; backward uses the inverse angle. */
    void apply(float[] x, int off, int heads, int hd, int pos, boolean backward) {
        int base = pos * half;
        float sign = backward ? -1f : 1f;
        for (int h = 0; h < heads; h++) {
            int o = off + h * hd;
            for (int i = 0; i < half; i++) {
                float a = x[o + i], b = x[o + i + half];
                float c = cos[base + i], s = sign * sin[base + i];
                x[o + i] = a * c - b * s;
                x[o + i + half] = b * c + a * s;
            }
        }
    }
}
