package dev.refusal4j.direction;

import dev.refusal4j.direction.select.KlDivergence;
import dev.refusal4j.direction.select.RefusalScore;
import dev.refusal4j.intervene.Interventions;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.Transformer;

import java.util.List;
import java.util.function.Supplier;

/**
 * Scores every candidate direction r(pos, layer) the way the paper's code does, on the validation
 * prompts, using the model's next-token distribution at the last prompt position:
 * <ul>
 *   <li>bypass: mean refusal score on harmful prompts with r̂ ablated everywhere (lower is better);</li>
 *   <li>induce: mean refusal score on harmless prompts with +r added at resid_pre of the layer;</li>
 *   <li>KL: mean KL(base ‖ ablated) on harmless prompts (how much ablation disturbs other behavior).</li>
 * </ul>
 */
public final class CandidateScorer {
    public record Scores(double[][] bypass, double[][] induce, double[][] kl) {}

    /** Progress: called once per scored candidate. */
    public interface Progress {
        void candidateDone(int pos, int layer);
    }

    private final Transformer model;
    private final int[] refusalTokens;
    private final int batchSize;

    public CandidateScorer(Transformer model, int[] refusalTokens, int batchSize) {
        this.model = model;
        this.refusalTokens = refusalTokens;
        this.batchSize = batchSize;
    }

    /** Last-position logits of each prompt under the given hooks, [prompt][vocab]. */
    public float[][] lastLogits(List<int[]> prompts, Supplier<Hooks> hooks) {
        int V = model.config.vocab;
        float[][] out = new float[prompts.size()][];
        for (Batches.Batch b : Batches.of(prompts, batchSize).batches()) {
            float[] logits = model.forward(b.tokens(), b.padding(), null, hooks == null ? null : hooks.get(), Transformer.Logits.LAST);
            for (int j = 0; j < b.size(); j++) out[b.indices()[j]] = java.util.Arrays.copyOfRange(logits, j * V, (j + 1) * V);
        }
        return out;
    }

    public double[] refusalScores(List<int[]> prompts, Supplier<Hooks> hooks) {
        float[][] logits = lastLogits(prompts, hooks);
        double[] s = new double[logits.length];
        for (int i = 0; i < s.length; i++) s[i] = RefusalScore.fromLogits(logits[i], refusalTokens);
        return s;
    }

    public Scores score(float[][][] candidates, List<int[]> harmfulVal, List<int[]> harmlessVal, Progress progress) {
        int P = candidates.length, L = candidates[0].length;
        double[][] bypass = new double[P][L], induce = new double[P][L], kl = new double[P][L];
        float[][] base = lastLogits(harmlessVal, null);
        for (int p = 0; p < P; p++) {
            for (int l = 0; l < L; l++) {
                float[] r = candidates[p][l];
                float[] unit = unit(r);
                if (unit == null) {
                    bypass[p][l] = induce[p][l] = kl[p][l] = Double.NaN;
                } else {
                    Supplier<Hooks> ablate = () -> Interventions.ablate(new Hooks(), unit);
                    bypass[p][l] = mean(refusalScores(harmfulVal, ablate));
                    final int layer = l;
                    induce[p][l] = mean(refusalScores(harmlessVal, () -> Interventions.add(new Hooks(), r, 1f, layer)));
                    float[][] abl = lastLogits(harmlessVal, ablate);
                    double k = 0;
                    for (int i = 0; i < abl.length; i++) k += KlDivergence.official(base[i], abl[i]);
                    kl[p][l] = k / abl.length;
                }
                if (progress != null) progress.candidateDone(p, l);
            }
        }
        return new Scores(bypass, induce, kl);
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s / v.length;
    }

    static float[] unit(float[] r) {
        double n = 0;
        for (float v : r) n += (double) v * v;
        n = Math.sqrt(n);
        if (!(n > 0) || !Double.isFinite(n)) return null;
        float[] u = new float[r.length];
        for (int i = 0; i < r.length; i++) u[i] = (float) (r[i] / n);
        return u;
    }
}
