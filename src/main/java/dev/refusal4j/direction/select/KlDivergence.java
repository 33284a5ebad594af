package dev.refusal4j.direction.select;

/**
 * KL(P || Q) between the next-token distributions of two logit rows, in float64 with a stable
 * softmax. With eps > 0 it is the official {@code kl_div_fn}: sum p (log(p + eps) - log(q + eps)),
 * eps = 1e-6; with eps = 0 it is the exact KL from log-softmax values.
 */
public final class KlDivergence {
    public static final double OFFICIAL_EPSILON = 1e-6;

    private KlDivergence() {}

    /** The official KL between base (P) and intervened (Q) logits. */
    public static double official(float[] base, float[] intervened) {
        return of(base, 0, intervened, 0, base.length, OFFICIAL_EPSILON);
    }

    /** KL of the rows p[pOff .. pOff+vocab) and q[qOff .. qOff+vocab). */
    public static double of(float[] p, int pOff, float[] q, int qOff, int vocab, double eps) {
        double pMax = max(p, pOff, vocab), qMax = max(q, qOff, vocab);
        double pLogZ = pMax + Math.log(sumExp(p, pOff, vocab, pMax));   // log of the softmax denominator
        double qLogZ = qMax + Math.log(sumExp(q, qOff, vocab, qMax));
        double kl = 0;
        for (int i = 0; i < vocab; i++) {
            double lp = p[pOff + i] - pLogZ, lq = q[qOff + i] - qLogZ;   // log-probabilities
            double pi = Math.exp(lp);
            kl += eps == 0 ? (pi == 0 ? 0 : pi * (lp - lq)) : pi * (Math.log(pi + eps) - Math.log(Math.exp(lq) + eps));
        }
        return kl;
    }

    private static double max(float[] x, int off, int n) {
        double m = Double.NEGATIVE_INFINITY;
        for (int i = off; i < off + n; i++) m = Math.max(m, x[i]);
        return m;
    }

    private static double sumExp(float[] x, int off, int n, double shift) {
        double s = 0;
        for (int i = off; i < off + n; i++) s += Math.exp(x[i] - shift);
        return s;
    }
}
