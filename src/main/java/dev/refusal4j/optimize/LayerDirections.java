package dev.refusal4j.optimize;

import java.util.ArrayList;
import java.util.List;

/**
 * The refusal directions a search chooses from, all measured at the last prompt token's resid_pre:
 * <ul>
 *   <li>the paper's difference in means r(l) = mean(harmful) − mean(harmless) at each layer l;</li>
 *   <li>at a fractional layer index i = l + f, the interpolation (1 − f)·r(l) + f·r(l + 1), so the
 *       search moves smoothly between layers;</li>
 *   <li>that direction orthogonalised against the harmless mean μ(l) of a layer: what refusal adds
 *       beyond the activation's size along what every prompt has;</li>
 *   <li>further directions: the top principal components of the per-prompt differences
 *       h_i − μ(l) once r̂ is removed from them, for refusal that one direction does not hold.</li>
 * </ul>
 * Everything in float64; the bases handed out are orthonormal.
 */
public final class LayerDirections {
    private final double[][] meanDiff;      // [layer][d]
    private final double[][] harmlessMean;  // [layer][d]
    private final float[][][] harmful;      // [prompt][layer][d], for the principal components

    /** @param harmful, harmless each prompt's activations, {@code [prompt][layer][d]} ({@link LastActivations}) */
    public LayerDirections(float[][][] harmful, float[][][] harmless) {
        if (harmful.length == 0 || harmless.length == 0) throw new IllegalArgumentException("directions need at least one harmful and one harmless prompt");
        this.harmful = harmful;
        double[][] mh = mean(harmful);
        harmlessMean = mean(harmless);
        meanDiff = new double[mh.length][mh[0].length];
        for (int l = 0; l < mh.length; l++) for (int i = 0; i < mh[0].length; i++) meanDiff[l][i] = mh[l][i] - harmlessMean[l][i];
    }

    public int layers() {
        return meanDiff.length;
    }

    public int dims() {
        return meanDiff[0].length;
    }

    /** r(l), not normalised. */
    public double[] meanDiff(int layer) {
        return meanDiff[layer].clone();
    }

    public double[] harmlessMean(int layer) {
        return harmlessMean[layer].clone();
    }

    /** (1 − f)·r(⌊i⌋) + f·r(⌊i⌋ + 1) with f = i − ⌊i⌋; an integer index gives r(i) itself. */
    public double[] interpolated(double index) {
        if (!(index >= 0 && index <= layers() - 1)) throw new IllegalArgumentException("direction index " + index + " is outside 0.." + (layers() - 1));
        int lo = (int) Math.floor(index);
        double f = index - lo;
        if (f == 0) return meanDiff(lo);
        double[] out = new double[dims()];
        for (int i = 0; i < out.length; i++) out[i] = (1 - f) * meanDiff[lo][i] + f * meanDiff[lo + 1][i];
        return out;
    }

    /**
     * An orthonormal basis of {@code count} directions: r̂ at {@code index} first, then the top
     * principal components of the per-prompt differences at the nearest layer with r̂ removed.
     * Fewer come back when the prompts span fewer dimensions.
     */
    public double[][] basis(double index, int count) {
        if (count < 1) throw new IllegalArgumentException("direction count must be at least 1, got " + count);
        List<double[]> out = new ArrayList<>();
        out.add(Basis.unit(interpolated(index), "the difference in means at index " + index));
        if (count > 1) {
            int layer = (int) Math.round(index);
            double[][] rows = new double[harmful.length][];
            for (int p = 0; p < harmful.length; p++) {
                double[] x = new double[dims()];
                for (int i = 0; i < x.length; i++) x[i] = harmful[p][layer][i] - harmlessMean[layer][i];
                Basis.removeFrom(x, out);
                rows[p] = x;
            }
            for (double[] v : Basis.principal(rows, count - 1)) if (Basis.addOrthonormal(out, v)) if (out.size() == count) break;
        }
        return out.toArray(new double[0][]);
    }

    /** {@code basis} with each vector orthogonalised against the harmless mean at {@code layer}, re-orthonormalised. */
    public double[][] orthogonalToHarmless(double[][] basis, int layer) {
        double[] m = Basis.unit(harmlessMean[layer], "the harmless mean at layer " + layer);
        List<double[]> out = new ArrayList<>();
        for (double[] v : basis) {
            double[] x = v.clone();
            Basis.removeFrom(x, List.of(m));
            Basis.addOrthonormal(out, x);
        }
        if (out.isEmpty()) throw new IllegalArgumentException("the direction is parallel to the harmless mean at layer " + layer);
        return out.toArray(new double[0][]);
    }

    private static double[][] mean(float[][][] acts) {
        int L = acts[0].length, d = acts[0][0].length;
        double[][] m = new double[L][d];
        for (float[][] p : acts) for (int l = 0; l < L; l++) for (int i = 0; i < d; i++) m[l][i] += p[l][i];
        for (double[] v : m) for (int i = 0; i < d; i++) v[i] /= acts.length;
        return m;
    }
}
