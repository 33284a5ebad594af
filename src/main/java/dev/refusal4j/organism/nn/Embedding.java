package dev.refusal4j.organism.nn;

/**
 * Token embedding, forward and backward.
 * <pre>
 *   ids [N], E [V, d] → x [N, d],  x[r] = E[ids[r]]
 *   dE[ids[r]] += dx[r]
 * </pre>
 */
final class Embedding {
    private Embedding() {}

    static void forward(int[] ids, float[] params, int eOff, float[] x, int N, int d) {
        for (int r = 0; r < N; r++) System.arraycopy(params, eOff + ids[r] * d, x, r * d, d);
    }

    /** Serial: rows that share an id add into the same gradient row. */
    static void backward(int[] ids, float[] dx, float[] grads, int eOff, int N, int d) {
        for (int r = 0; r < N; r++) {
            dev.refusal4j.tensor.Ops.axpy(1f, dx, r * d, grads, eOff + ids[r] * d, d);
        }
    }
}
