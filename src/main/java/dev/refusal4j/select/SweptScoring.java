package dev.refusal4j.select;

import dev.refusal4j.ProgressListener;
import dev.refusal4j.intervene.Interventions;
import dev.refusal4j.model.Batches;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.LayerSweep;
import dev.refusal4j.model.SharedPrefix;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tensor.UnitVector;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * {@link CandidateScorer}'s scores computed in layer sweeps, for a model larger than memory. The
 * passes are those of the whole-call scorer, in phases instead of candidate by candidate: one sweep
 * for KL's baseline, then the cheaper pass of every candidate (induce, unless only KL filters) in
 * groups as large as the residual budget allows, then the other pass of those no filter removed.
 * Each induce pass joins the sweep at its candidate's layer from the baseline's residual stream
 * there, as the whole-call scorer starts it from the saved resid_pre. Every score is the whole-call
 * scorer's to the bit (a pass's numbers do not depend on the passes beside it).
 */
final class SweptScoring {
    private final CandidateScorer scorer;
    private final Transformer model;
    private final LayerSweep.Budget budget;
    private final int batchSize;

    SweptScoring(CandidateScorer scorer, Transformer model, LayerSweep.Budget budget, int batchSize) {
        this.scorer = scorer;
        this.model = model;
        this.budget = budget;
        this.batchSize = batchSize;
    }

    CandidateScorer.Scores score(float[][][] candidates, List<int[]> harmfulVal, List<int[]> harmlessVal, SelectionCriteria stopAt,
                                 IntPredicate mine, ProgressListener progress) {
        int P = candidates.length, L = candidates[0].length, nHarmful = harmfulVal.size();
        List<int[]> both = new ArrayList<>(harmfulVal);
        both.addAll(harmlessVal);
        int shared = scorer.prefixLength(both);
        SharedPrefix ablated = new SharedPrefix(both, shared, batchSize), harmless = new SharedPrefix(harmlessVal, shared, batchSize);

        // KL's reference: the baseline in the batches of the ablation pass
        LayerSweep base = new LayerSweep(model, budget);
        List<LayerSweep.Pass> basePasses = passes(base, ablated, null, -1, null, null);
        base.run();
        float[][] baseLogits = lastLogits(ablated, basePasses, both.size());
        KlDivergence.Reference[] reference = new KlDivergence.Reference[harmlessVal.size()];
        for (int i = 0; i < reference.length; i++) {
            float[] row = baseLogits[nHarmful + i];
            reference[i] = new KlDivergence.Reference(row, 0, row.length, KlDivergence.OFFICIAL_EPSILON);
        }

        int pruned = stopAt == null ? L : stopAt.firstPrunedLayer(L);
        boolean ablateFirst = stopAt != null && stopAt.klThreshold() != null && stopAt.induceThreshold() == null;
        double[][] bypass = new double[P][L], induce = new double[P][L], kl = new double[P][L];
        Filter[][] stopped = new Filter[P][L];
        List<int[]> work = new ArrayList<>();   // {position, layer} of every candidate to score
        for (int p = 0; p < P; p++) {
            for (int l = 0; l < L; l++) {
                bypass[p][l] = induce[p][l] = kl[p][l] = Double.NaN;
                boolean unit = UnitVector.orNull(candidates[p][l]) != null;
                if (!mine.test(p * L + l) || !unit) continue;
                if (l >= pruned) stopped[p][l] = Filter.LAYER;
                else work.add(new int[] {p, l});
            }
        }
        long total = work.size(), done = 0;
        for (int phase = 0; phase < 2; phase++) {
            boolean ablation = (phase == 0) == ablateFirst;
            List<int[]> todo = work.stream().filter(c -> stopped[c[0]][c[1]] == null).toList();
            int group = groupSize(ablation ? ablated : harmless, ablation ? both.size() : harmlessVal.size());
            for (int g = 0; g < todo.size(); g += group) {
                List<int[]> cells = todo.subList(g, Math.min(todo.size(), g + group));
                if (ablation) {
                    ablations(candidates, cells, ablated, both.size(), nHarmful, reference, bypass, kl);
                } else {
                    induces(candidates, cells, harmless, harmlessVal.size(), induce);
                }
                for (int[] c : cells) {
                    int p = c[0], l = c[1];
                    if (phase == 0) {
                        stopped[p][l] = ablation ? CandidateScorer.stopAfterAblation(stopAt, new double[] {bypass[p][l], kl[p][l]})
                                : CandidateScorer.stopAfterInduce(stopAt, induce[p][l]);
                        if (stopped[p][l] != null) done++;
                    } else {
                        done++;
                    }
                }
                if (progress != null) progress.done(Math.min(done, total));
            }
        }
        return new CandidateScorer.Scores(bypass, induce, kl, stopped);
    }

    /** Each prompt's last-position logits under fresh hooks from {@code hooks} (null: none), in one sweep. */
    float[][] lastLogits(List<int[]> prompts, int prefixLength, java.util.function.Supplier<Hooks> hooks) {
        SharedPrefix set = new SharedPrefix(prompts, prefixLength, batchSize);
        LayerSweep sweep = new LayerSweep(model, budget);
        List<LayerSweep.Pass> passes = passes(sweep, set, hooks, -1, null, null);
        sweep.run();
        return lastLogits(set, passes, prompts.size());
    }

    /** Candidates per sweep: as many as the residual budget holds beside the baseline's streams (at least one). */
    private int groupSize(SharedPrefix set, int prompts) {
        long d = model.config.hidden, rows = set.tokens.length;
        for (Batches.Batch b : set.batches.batches()) rows += (long) b.size() * b.slots();
        long perCandidate = rows * d * Float.BYTES + (long) prompts * model.config.vocab * Float.BYTES;
        long room = budget.residualBytes() - rows * d * Float.BYTES;
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, room / perCandidate));
    }

    private void ablations(float[][][] candidates, List<int[]> cells, SharedPrefix set, int count, int nHarmful, KlDivergence.Reference[] reference,
                           double[][] bypass, double[][] kl) {
        LayerSweep sweep = new LayerSweep(model, budget);
        List<List<LayerSweep.Pass>> passes = new ArrayList<>();
        for (int[] c : cells) {
            float[] unit = UnitVector.orNull(candidates[c[0]][c[1]]);
            passes.add(passes(sweep, set, () -> Interventions.ablate(new Hooks(), unit), -1, null, null));
        }
        sweep.run();
        for (int k = 0; k < cells.size(); k++) {
            int p = cells.get(k)[0], l = cells.get(k)[1];
            double[] bk = scorer.bypassKl(lastLogits(set, passes.get(k), count), nHarmful, reference);
            bypass[p][l] = bk[0];
            kl[p][l] = bk[1];
        }
    }

    private void induces(float[][][] candidates, List<int[]> cells, SharedPrefix set, int count, double[][] induce) {
        LayerSweep sweep = new LayerSweep(model, budget);
        // the baseline, carried only for the candidates' passes to start from
        LayerSweep.Pass basePrefix = set.tokens.length == 0 ? null : sweep.prefix(set.tokens, null);
        List<LayerSweep.Pass> base = new ArrayList<>();
        for (Batches.Batch b : set.batches.batches()) base.add(sweep.batch(b, basePrefix, null, Transformer.Logits.NONE));
        List<List<LayerSweep.Pass>> passes = new ArrayList<>();
        for (int[] c : cells) {
            float[] r = candidates[c[0]][c[1]];
            int layer = c[1];
            passes.add(passes(sweep, set, () -> Interventions.add(new Hooks(), r, 1f, layer), layer, basePrefix, base));
        }
        sweep.run();
        for (int k = 0; k < cells.size(); k++) induce[cells.get(k)[0]][cells.get(k)[1]] = scorer.induceScore(lastLogits(set, passes.get(k), count));
    }

    /**
     * The passes of one prompt set under fresh hooks from {@code hooks} (null: none): its prefix, then
     * its batches with last-position logits; from {@code layer} on, starting from {@code basePrefix}'s
     * and {@code base}'s streams, when {@code layer} > 0 (the embedding is the same for every pass).
     */
    private static List<LayerSweep.Pass> passes(LayerSweep sweep, SharedPrefix set, java.util.function.Supplier<Hooks> hooks, int layer,
                                                LayerSweep.Pass basePrefix, List<LayerSweep.Pass> base) {
        boolean join = layer > 0;
        LayerSweep.Pass prefix = set.tokens.length == 0 ? null
                : join ? sweep.prefix(set.tokens, hooks.get(), layer, basePrefix) : sweep.prefix(set.tokens, hooks == null ? null : hooks.get());
        List<LayerSweep.Pass> out = new ArrayList<>();
        List<Batches.Batch> bs = set.batches.batches();
        for (int i = 0; i < bs.size(); i++) {
            Hooks h = hooks == null ? null : hooks.get();
            out.add(join ? sweep.batch(bs.get(i), prefix, h, Transformer.Logits.LAST_ONLY, layer, base.get(i))
                    : sweep.batch(bs.get(i), prefix, h, Transformer.Logits.LAST_ONLY));
        }
        return out;
    }

    /** Each prompt's last-position logits from its batch's pass, [prompt][vocab]. */
    private float[][] lastLogits(SharedPrefix set, List<LayerSweep.Pass> passes, int count) {
        int V = model.config.vocab;
        float[][] out = new float[count][];
        List<Batches.Batch> bs = set.batches.batches();
        for (int i = 0; i < bs.size(); i++) {
            float[] logits = passes.get(i).logits();
            Batches.Batch b = bs.get(i);
            for (int j = 0; j < b.size(); j++) out[b.indices()[j]] = Arrays.copyOfRange(logits, j * V, (j + 1) * V);
        }
        return out;
    }
}
