package dev.refusal4j.model;

/**
 * Rotary position embedding, Hugging Face's {@code rotate_half} form: dimension j is paired with
 * j + dims/2. Frequencies are computed in double (with Llama-3 scaling when configured, from its
 * parameters or as GGUF's per-frequency divisors) and the cos/sin table grows on demand.
 */
public final class Rope {
    private final int half;          // dims / 2
    private final double[] invFreq;  // (half)
    private float[] cos = new float[0], sin = new float[0]; // (positions, half)
    private int positions;

    public Rope(ModelConfig.Rope r) {
        this.half = r.dims() / 2;
        this.invFreq = new double[half];
        for (int i = 0; i < half; i++) {
            double f = Math.pow(r.theta(), -2.0 * i / r.dims());
            if (r.type().equals("llama3")) f = llama3(f, r);
            else if (r.type().equals("factors")) f /= r.factors().get(i);
            invFreq[i] = f;
        }
    }

    private static double llama3(double f, ModelConfig.Rope r) {
        double wavelen = 2 * Math.PI / f;
        double lowWavelen = r.originalMaxPositions() / r.lowFreqFactor();
        double highWavelen = r.originalMaxPositions() / r.highFreqFactor();
        if (wavelen > lowWavelen) return f / r.factor();
        if (wavelen < highWavelen) return f;
        double s = (r.originalMaxPositions() / wavelen - r.lowFreqFactor()) / (r.highFreqFactor() - r.lowFreqFactor());
        return (1 - s) * f / r.factor() + s * f;
    }

    private synchronized void ensure(int n) {
        if (n <= positions) return;
        int cap = Math.max(n, Math.max(64, positions * 2));
        float[] c = new float[cap * half], s = new float[cap * half];
        for (int p = 0; p < cap; p++) {
            for (int i = 0; i < half; i++) {
                double a = p * invFreq[i];
                c[p * half + i] = (float) Math.cos(a);
                s[p * half + i] = (float) Math.sin(a);
            }
        }
        cos = c;
        sin = s;
        positions = cap;
    }

    /** Makes sure the table covers positions [0, n) before a parallel section reads it. */
    public void reserve(int n) {
        ensure(n);
    }

    /** Rotates the first 2·half dims of each of {@code heads} vectors of size hd at x[off..], at position pos. */
    public void apply(float[] x, int off, int heads, int hd, int pos) {
        float[] c = cos, s = sin;
        int base = pos * half;
        for (int h = 0; h < heads; h++) {
            int o = off + h * hd;
            for (int i = 0; i < half; i++) {
                float x0 = x[o + i], x1 = x[o + i + half];
                float ci = c[base + i], si = s[base + i];
                x[o + i] = x0 * ci - x1 * si;
                x[o + i + half] = x1 * ci + x0 * si;
            }
        }
    }
}
