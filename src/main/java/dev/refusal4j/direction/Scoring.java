package dev.refusal4j.direction;

/** The paper code's scores, in float64. */
public final class Scoring {
    private Scoring() {}

    /** log(p + 1e-8) − log(1 − p + 1e-8), p = total softmax probability of the refusal tokens. */
    public static double refusalScore(float[] logits, int[] refusalTokens) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) max = Math.max(max, v);
        double z = 0;
        for (float v : logits) z += Math.exp(v - max);
        double p = 0;
        for (int t : refusalTokens) p += Math.exp(logits[t] - max) / z;
        return Math.log(p + 1e-8) - Math.log(1 - p + 1e-8);
    }

    /** KL(a ‖ b) of the softmax distributions, with the paper code's epsilon 1e-6 inside the logs. */
    public static double kl(float[] a, float[] b) {
        double[] pa = softmax(a), pb = softmax(b);
        double k = 0;
        for (int i = 0; i < pa.length; i++) k += pa[i] * (Math.log(pa[i] + 1e-6) - Math.log(pb[i] + 1e-6));
        return k;
    }

    static double[] softmax(float[] l) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : l) max = Math.max(max, v);
        double[] p = new double[l.length];
        double s = 0;
        for (int i = 0; i < l.length; i++) s += p[i] = Math.exp(l[i] - max);
        for (int i = 0; i < l.length; i++) p[i] /= s;
        return p;
    }

    public static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s / v.length;
    }
}
