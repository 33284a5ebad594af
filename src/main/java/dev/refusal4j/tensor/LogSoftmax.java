package dev.refusal4j.tensor;

/**
 * Log-softmax of one row of logits, in float64 and shifted by the row's maximum so that no
 * exponential overflows. Every score of the method (refusal log-odds, KL, cross-entropy) reads
 * its probabilities through here, so they agree to the last bit on the same row.
 */
public final class LogSoftmax {
    private LogSoftmax() {}

    /** log Σ exp(x[off .. off+n)). */
    public static double logSumExp(float[] x, int off, int n) {
        double max = max(x, off, n);
        return max + Math.log(sumExp(x, off, n, max));
    }

    /** The largest of x[off .. off+n): the shift that keeps every exponential at most 1. */
    public static double max(float[] x, int off, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = off; i < off + n; i++) max = Math.max(max, x[i]);
        return max;
    }

    /** Σ exp(x[i] − shift) over x[off .. off+n), in float64: the softmax denominator, scaled by exp(−shift). */
    public static double sumExp(float[] x, int off, int n, double shift) {
        double sum = 0;
        for (int i = off; i < off + n; i++) sum += Math.exp(x[i] - shift);
        return sum;
    }

    /** log p(token) under the row x[off .. off+n). */
    public static double logProb(float[] x, int off, int n, int token) {
        return x[off + token] - logSumExp(x, off, n);
    }
}
