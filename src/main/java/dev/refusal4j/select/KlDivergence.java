package dev.refusal4j.select;

import dev.refusal4j.tensor.LogSoftmax;

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
        return new Reference(p, pOff, vocab, eps).from(q, qOff);
    }

    /**
     * The base side of KL prepared once: selection compares one base row per prompt with every
     * candidate's ablated row, so the base softmax and its sum p log(p + eps) are computed once.
     */
    public static final class Reference {
        private final double[] p;      // [vocab] base probabilities
        private final double[] logP;   // [vocab] log p (exact log-softmax; used when eps = 0)
        private final double eps;
        private final double selfTerm; // sum p log(p + eps), or sum p log p when eps = 0

        public Reference(float[] logits, int offset, int vocab, double eps) {
            if (!(eps >= 0)) throw new IllegalArgumentException("epsilon must be >= 0, got " + eps);
            this.eps = eps;
            this.p = new double[vocab];
            this.logP = new double[vocab];
            double logZ = LogSoftmax.logSumExp(logits, offset, vocab);
            double self = 0;
            for (int i = 0; i < vocab; i++) {
                logP[i] = logits[offset + i] - logZ;
                p[i] = Math.exp(logP[i]);
                if (p[i] != 0) self += p[i] * (eps == 0 ? logP[i] : Math.log(p[i] + eps));
            }
            this.selfTerm = self;
        }

        public int vocab() {
            return p.length;
        }

        /** KL(base || q) for the row q[offset .. offset + vocab). */
        public double from(float[] q, int offset) {
            double logZ = LogSoftmax.logSumExp(q, offset, p.length);
            double cross = 0;
            for (int i = 0; i < p.length; i++) {
                if (p[i] == 0) continue;
                double lq = q[offset + i] - logZ;
                cross += p[i] * (eps == 0 ? lq : Math.log(Math.exp(lq) + eps));
            }
            return selfTerm - cross;
        }
    }
}
