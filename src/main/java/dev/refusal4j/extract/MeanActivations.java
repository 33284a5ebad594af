package dev.refusal4j.extract;

import dev.refusal4j.ProgressListener;
import dev.refusal4j.model.Batches;
import dev.refusal4j.model.Forward;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.KvCache;
import dev.refusal4j.model.LayerSweep;
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
        return batchSums(m, prompts, positions, batchSize, mine, null, progress);
    }

    /**
     * As {@link #batchSums(Transformer, List, int, int, IntPredicate, ProgressListener)}; with a
     * {@code sweep} budget, all the batches go through the model one layer at a time (for a model
     * larger than memory: each layer's weights read once), with the same sums to the bit.
     */
    public static double[][][][] batchSums(Transformer m, List<int[]> prompts, int positions, int batchSize, IntPredicate mine,
                                           LayerSweep.Budget sweep, ProgressListener progress) {
        int L = m.config.layers, d = m.config.hidden;
        for (int[] p : prompts) {
            if (p.length < positions) throw new IllegalArgumentException("a prompt of " + p.length + " tokens is shorter than the " + positions + " post-instruction positions");
        }
        SharedPrefix shared = sharedPrefix(prompts, positions, batchSize);
        List<Batches.Batch> all = shared.batches.batches();
        double[][][][] out = new double[all.size()][][][];
        LayerSweep swept = sweep == null ? null : new LayerSweep(m, sweep);
        LayerSweep.Pass sweptPrefix = swept == null || shared.tokens.length == 0 ? null : swept.prefix(shared.tokens, null);
        KvCache prefix = null;
        int done = 0;
        for (int bi = 0; bi < all.size(); bi++) {
            if (!mine.test(bi)) continue;
            Batches.Batch b = all.get(bi);
            out[bi] = new double[positions][L][d];
            Hooks h = sumHook(out[bi], b.last(), positions, d);
            if (swept != null) {
                swept.batch(b, sweptPrefix, h, Transformer.Logits.NONE);
                done += b.size();
                continue;
            }
            if (prefix == null) prefix = shared.run(m);
            m.forward(Forward.of(b).cache(shared.cacheFor(prefix, b)).hooks(h).logits(Transformer.Logits.NONE));
            done += b.size();
            if (progress != null) progress.done(done);
        }
        if (swept != null) {
            swept.run();
            if (progress != null) progress.done(done);
        }
        return out;
    }

    /** Adds a batch's resid_pre at the last positions into sum[pos][layer]: only those count, so nothing else is kept. */
    private static Hooks sumHook(double[][][] sum, int[] last, int positions, int d) {
        return new Hooks().add("blocks.*." + Hooks.RESID_PRE, a -> {
            for (int s = 0; s < a.batch; s++) {
                for (int p = 0; p < positions; p++) {
                    int row = a.row(s, last[s] - positions + 1 + p);
                    double[] acc = sum[p][a.layer];
                    for (int i = 0; i < d; i++) acc[i] += a.get(row, i);
                }
            }
        });
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
