package dev.refusal4j.extract;

import dev.refusal4j.ProgressListener;
import dev.refusal4j.model.Batches;
import dev.refusal4j.model.Forward;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.KvCache;
import dev.refusal4j.model.SharedPrefix;
import dev.refusal4j.model.Transformer;

import java.util.List;
import java.util.function.IntPredicate;

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
        double[][][][] sums = batchSums(m, prompts, positions, batchSize, b -> true, progress);
        return mean(java.util.Arrays.asList(sums), prompts.size());
    }

    /** How many batches {@link #batchSums} cuts these prompts into. */
    public static int batches(List<int[]> prompts, int positions, int batchSize) {
        return sharedPrefix(prompts, positions, batchSize).batches.batches().size();
    }

    /**
     * The float64 sum of resid_pre over the prompts of each batch, [batch][pos][layer][d], for the
     * batches {@code mine} accepts (null for the others). The batches are the same for any
     * {@code mine}, so that workers each given some of them compute what one process computes, and
     * {@link #mean} of all of them, in batch order, is {@link #residPre} to the bit.
     *
     * @param progress told the number of prompts finished after each batch computed (may be null)
     */
    public static double[][][][] batchSums(Transformer m, List<int[]> prompts, int positions, int batchSize, IntPredicate mine,
                                           ProgressListener progress) {
        int L = m.config.layers, d = m.config.hidden;
        for (int[] p : prompts) {
            if (p.length < positions) throw new IllegalArgumentException("a prompt of " + p.length + " tokens is shorter than the " + positions + " post-instruction positions");
        }
        SharedPrefix shared = sharedPrefix(prompts, positions, batchSize);
        List<Batches.Batch> all = shared.batches.batches();
        double[][][][] out = new double[all.size()][][][];
        KvCache prefix = null;
        int done = 0;
        for (int bi = 0; bi < all.size(); bi++) {
            if (!mine.test(bi)) continue;
            if (prefix == null) prefix = shared.run(m);
            Batches.Batch b = all.get(bi);
            int[] last = b.last();
            double[][][] sum = new double[positions][L][d];
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
            out[bi] = sum;
            done += b.size();
            if (progress != null) progress.done(done);
        }
        return out;
    }

    /** The mean over {@code count} prompts from their batches' sums, added in the order given. */
    public static double[][][] mean(List<double[][][]> batchSums, int count) {
        double[][][] first = batchSums.getFirst();
        int P = first.length, L = first[0].length, d = first[0][0].length;
        double[][][] total = new double[P][L][d];
        for (double[][][] s : batchSums) {
            for (int p = 0; p < P; p++) for (int l = 0; l < L; l++) for (int i = 0; i < d; i++) total[p][l][i] += s[p][l][i];
        }
        for (double[][] byLayer : total) for (double[] v : byLayer) for (int i = 0; i < d; i++) v[i] /= count;
        return total;
    }

    // The positions read are never in the shared prefix.
    private static SharedPrefix sharedPrefix(List<int[]> prompts, int positions, int batchSize) {
        return new SharedPrefix(prompts, SharedPrefix.length(prompts, positions), batchSize);
    }

    /** Candidate directions r[pos][layer] = mean(harmful) − mean(harmless), rounded to float. */
    public static float[][][] difference(double[][][] harmful, double[][][] harmless) {
        int P = harmful.length, L = harmful[0].length, d = harmful[0][0].length;
        float[][][] r = new float[P][L][d];
        for (int p = 0; p < P; p++) for (int l = 0; l < L; l++) for (int i = 0; i < d; i++) r[p][l][i] = (float) (harmful[p][l][i] - harmless[p][l][i]);
        return r;
    }
}
