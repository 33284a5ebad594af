package dev.refusal4j.intervene;

import dev.refusal4j.model.Hooks;

/**
 * A partial ablation of what each layer's attention and MLP write into the residual stream:
 * x ← x − w Σₖ uₖ(uₖ·x), with an orthonormal basis {uₖ} and a weight w per layer and per block
 * (attention output, MLP output). As weights of an output matrix W [d, d_in] (Hugging Face
 * layout) it is W ← W − w Σₖ uₖ(uₖᵀW): every column, the vector one input unit writes, loses
 * w times its part in the basis. With {@code normPreserving}, each column is then rescaled to
 * its norm before the edit, so each unit writes as strongly as before, only elsewhere; that is
 * not a function of the written vector alone, so it exists as a weight edit only.
 *
 * @param basis [layer][k][d] orthonormal directions removed at each layer (biprojection gives
 *              each layer its own)
 * @param attn  weight per layer for the attention output, mlp for the MLP output (0: untouched)
 */
public record PartialAblation(double[][][] basis, double[] attn, double[] mlp, boolean normPreserving) {
    public PartialAblation {
        if (attn.length != basis.length || mlp.length != basis.length) throw new IllegalArgumentException("one basis and two weights per layer");
    }

    public int layers() {
        return basis.length;
    }

    /** Hooks on every layer's attn_out and mlp_out with a non-zero weight. */
    public Hooks hooks() {
        if (normPreserving) throw new IllegalStateException("a norm-preserving edit rescales each weight column and has no run-time hook; apply it to the weights");
        Hooks h = new Hooks();
        for (int l = 0; l < layers(); l++) {
            float[][] u = floats(basis[l]);
            float wa = (float) attn[l], wm = (float) mlp[l];
            if (wa != 0) h.add(Hooks.blockName(l, Hooks.ATTN_OUT), a -> Interventions.project(a, u, wa));
            if (wm != 0) h.add(Hooks.blockName(l, Hooks.MLP_OUT), a -> Interventions.project(a, u, wm));
        }
        return h;
    }

    /**
     * Edits an output weight [rows = d, cols = d_in] (row-major, float64) of {@code layer} in place,
     * with weight {@code w}. A bias is one column ({@code cols} = 1).
     */
    public void editColumns(double[] m, int rows, int cols, int layer, double w) {
        if (w == 0) return;
        double[][] u = basis[layer];
        if (rows != u[0].length) throw new IllegalArgumentException("a matrix of " + rows + " rows does not write into a residual stream of " + u[0].length);
        double[] before = normPreserving ? columnNorms(m, rows, cols) : null;
        double[] p = new double[cols];
        for (double[] uk : u) {
            java.util.Arrays.fill(p, 0);
            for (int i = 0; i < rows; i++) {
                double ui = uk[i];
                int o = i * cols;
                for (int j = 0; j < cols; j++) p[j] += ui * m[o + j];
            }
            for (int i = 0; i < rows; i++) {
                double s = w * uk[i];
                int o = i * cols;
                for (int j = 0; j < cols; j++) m[o + j] -= s * p[j];
            }
        }
        if (!normPreserving) return;
        double[] after = columnNorms(m, rows, cols);
        double[] scale = new double[cols];
        for (int j = 0; j < cols; j++) scale[j] = after[j] == 0 ? 1 : before[j] / after[j];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) m[i * cols + j] *= scale[j];
    }

    static double[] columnNorms(double[] m, int rows, int cols) {
        double[] n = new double[cols];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) n[j] += m[i * cols + j] * m[i * cols + j];
        for (int j = 0; j < cols; j++) n[j] = Math.sqrt(n[j]);
        return n;
    }

    private static float[][] floats(double[][] v) {
        float[][] out = new float[v.length][];
        for (int k = 0; k < v.length; k++) {
            out[k] = new float[v[k].length];
            for (int i = 0; i < v[k].length; i++) out[k][i] = (float) v[k][i];
        }
        return out;
    }
}
