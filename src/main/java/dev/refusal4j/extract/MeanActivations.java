package dev.refusal4j.extract;

import dev.refusal4j.ProgressListener;
import dev.refusal4j.model.Batches;
import dev.refusal4j.model.Forward;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.KvCache;
import dev.refusal4j.model.SharedPrefix;
import dev.refusal4j.model.Transformer;

import java.util.List;

/**
 * The mean of resid_pre over a set of prompts at every layer and at each of the last
 * {@code positions} token positions (the post-instruction tokens of the chat template), accumulated
 * in float64 as the paper's code does.
 */
public final class MeanActivations {
    private MeanActivations() {}

    /**
     * @param progress told the number of prompts finished after each batch (may be null)
     * @return means[pos][layer][d]; pos 0 is position −positions, the last is position −1
     */
    public static double[][][] residPre(Transformer m, List<int[]> prompts, int positions, int batchSize, ProgressListener progress) {
        int L = m.config.layers, d = m.config.hidden;
        for (int[] p : prompts) {
            if (p.length < positions) throw new IllegalArgumentException("a prompt of " + p.length + " tokens is shorter than the " + positions + " post-instruction positions");
        }
        // The positions read are never in the shared prefix.
        SharedPrefix shared = new SharedPrefix(prompts, SharedPrefix.length(prompts, positions), batchSize);
        KvCache prefix = shared.run(m);
        double[][][] sum = new double[positions][L][d];
        int done = 0;
        for (Batches.Batch b : shared.batches.batches()) {
            int[] last = b.last();
            Hooks h = new Hooks().add("blocks.*." + Hooks.RESID_PRE, a -> {
                for (int s = 0; s < a.batch; s++) {
                    for (int p = 0; p < positions; p++) {
                        int row = a.row(s, last[s] - positions + 1 + p);
                        double[] acc = sum[p][a.layer];
                        for (int i = 0; i < d; i++) acc[i] += a.get(row, i);
                    }
                }
            });
            // summed inside the hook rather than kept with runWithCache: only the last positions count
            m.forward(Forward.of(b).cache(shared.cacheFor(prefix, b)).hooks(h).logits(Transformer.Logits.NONE));
            done += b.size();
            if (progress != null) progress.done(done);
        }
        for (double[][] byLayer : sum) for (double[] v : byLayer) for (int i = 0; i < d; i++) v[i] /= prompts.size();
        return sum;
    }

    /** Candidate directions r[pos][layer] = mean(harmful) − mean(harmless), rounded to float. */
    public static float[][][] difference(double[][][] harmful, double[][][] harmless) {
        int P = harmful.length, L = harmful[0].length, d = harmful[0][0].length;
        float[][][] r = new float[P][L][d];
        for (int p = 0; p < P; p++) for (int l = 0; l < L; l++) for (int i = 0; i < d; i++) r[p][l][i] = (float) (harmful[p][l][i] - harmless[p][l][i]);
        return r;
    }
}
