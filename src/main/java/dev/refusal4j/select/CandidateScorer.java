package dev.refusal4j.select;

import dev.refusal4j.ProgressListener;
import dev.refusal4j.intervene.Interventions;
import dev.refusal4j.model.ActivationCache;
import dev.refusal4j.model.Batches;
import dev.refusal4j.model.Forward;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.KvCache;
import dev.refusal4j.model.LayerSweep;
import dev.refusal4j.model.SharedPrefix;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tensor.UnitVector;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;
import java.util.function.Supplier;

/**
 * Scores every candidate direction r(pos, layer) the way the paper's code does, on the validation
 * prompts, using the model's next-token distribution at the last prompt position:
 * <ul>
 *   <li>bypass: mean refusal score on harmful prompts with r̂ ablated everywhere (lower is better);</li>
 *   <li>induce: mean refusal score on harmless prompts with +r added at resid_pre of the layer;</li>
 *   <li>KL: mean KL(base ‖ ablated) on harmless prompts (how much ablation disturbs other behavior).</li>
 * </ul>
 *
 * <p>The savings keep the numbers of a plain forward pass per prompt (the same products on the same
 * rows) while doing less work:
 * <ul>
 *   <li>Chat templates put the same tokens before every instruction (Qwen's default system prompt is
 *       24 tokens, more than half of a short prompt). That shared prefix is run once per intervention
 *       with batch 1 and its keys and values are copied to every sequence; only each prompt's own
 *       tokens are batched, right-padded after the prefix.</li>
 *   <li>Activation addition at layer l changes nothing below l, so the induce pass starts at layer l
 *       from the resid_pre that the baseline pass on the same prompts saved.</li>
 *   <li>Ablation runs the same hooks on the harmful and the harmless prompts, so they share batches:
 *       one pass gives bypass and KL.</li>
 *   <li>Given the filters selection applies, a candidate that cannot be selected is scored no further
 *       than the first filter that removes it ({@link #score(float[][][], List, List, SelectionCriteria, ProgressListener)}).</li>
 * </ul>
 */
public final class CandidateScorer {
    private static final String RESID_PRE = "blocks.*." + Hooks.RESID_PRE;

    private final Transformer model;
    private final int[] refusalTokens;
    private final int batchSize;
    private final boolean sharePrefix;
    private LayerSweep.Budget sweep;   // null: whole forward calls

    public CandidateScorer(Transformer model, int[] refusalTokens, int batchSize) {
        this(model, refusalTokens, batchSize, true);
    }

    /** @param sharePrefix run a shared token prefix once per batch set (false: every prompt whole, left-padded) */
    public CandidateScorer(Transformer model, int[] refusalTokens, int batchSize, boolean sharePrefix) {
        this.model = model;
        this.refusalTokens = refusalTokens;
        this.batchSize = batchSize;
        this.sharePrefix = sharePrefix;
    }

    /**
     * Scores by sweeping the model one layer at a time ({@link SweptScoring}): for a model larger than
     * memory, each layer's weights are read once per group of candidates. The scores are the same to the bit.
     */
    public CandidateScorer sweeping(LayerSweep.Budget budget) {
        this.sweep = budget;
        return this;
    }

    /** A prompt set cut after its shared prefix. */
    private final class PromptSet {
        final int count;
        final SharedPrefix shared;

        PromptSet(List<int[]> prompts, int prefixLength) {
            this.count = prompts.size();
            this.shared = new SharedPrefix(prompts, prefixLength, batchSize);
        }

        KvCache prefixCache(Hooks hooks, KvCache base, Forward.Start start) {
            Forward f = shared.prefill(model, base);
            if (f == null) return null;
            model.forward(f.hooks(hooks).start(start));
            return f.cache();
        }

        /** The prefix's cache without hooks, and its resid_pre at every layer into {@code residPre} (left as is without a prefix). */
        KvCache prefixCacheKeeping(float[][] residPre) {
            Forward f = shared.prefill(model, null);
            if (f == null) return null;
            System.arraycopy(model.runWithCache(f, RESID_PRE).byLayer(Hooks.RESID_PRE), 0, residPre, 0, residPre.length);
            return f.cache();
        }

        int batches() {
            return shared.batches.batches().size();
        }

        /**
         * Last-position logits of every prompt, [prompt][vocab].
         *
         * @param hooks    for batch i, the hooks of its forward call (null: none)
         * @param starts   for batch i, where its forward call starts (null: at the embedding)
         * @param residPre null, or where batch i's resid_pre at every layer is kept, [batch][layer]
         */
        float[][] lastLogits(KvCache prefixCache, IntFunction<Hooks> hooks, IntFunction<Forward.Start> starts, float[][][] residPre) {
            int V = model.config.vocab;
            float[][] out = new float[count][];
            List<Batches.Batch> bs = shared.batches.batches();
            for (int i = 0; i < bs.size(); i++) {
                Batches.Batch b = bs.get(i);
                Forward f = Forward.of(b).cache(shared.cacheFor(prefixCache, b)).logits(Transformer.Logits.LAST_ONLY)
                        .hooks(hooks == null ? null : hooks.apply(i)).start(starts == null ? null : starts.apply(i));
                float[] logits;
                if (residPre == null) {
                    logits = model.forward(f);
                } else {
                    ActivationCache run = model.runWithCache(f, RESID_PRE);
                    residPre[i] = run.byLayer(Hooks.RESID_PRE);
                    logits = run.logits();
                }
                for (int j = 0; j < b.size(); j++) out[b.indices()[j]] = Arrays.copyOfRange(logits, j * V, (j + 1) * V);
            }
            return out;
        }
    }

    int prefixLength(List<int[]> prompts) {
        return sharePrefix ? SharedPrefix.length(prompts, 1) : 0;
    }

    /** Last-position logits of each prompt under the given hooks, [prompt][vocab]. */
    public float[][] lastLogits(List<int[]> prompts, Supplier<Hooks> hooks) {
        if (sweep != null) return new SweptScoring(this, model, sweep, batchSize).lastLogits(prompts, prefixLength(prompts), hooks);
        PromptSet set = new PromptSet(prompts, prefixLength(prompts));
        return set.lastLogits(set.prefixCache(hooks == null ? null : hooks.get(), null, null), hooks == null ? null : i -> hooks.get(), null, null);
    }

    public double[] refusalScores(List<int[]> prompts, Supplier<Hooks> hooks) {
        return refusalScores(lastLogits(prompts, hooks));
    }

    private double[] refusalScores(float[][] logits) {
        double[] s = new double[logits.length];
        for (int i = 0; i < s.length; i++) s[i] = RefusalScore.fromLogits(logits[i], refusalTokens);
        return s;
    }

    /**
     * The scores of every candidate, [position][layer] (positions -P..-1 top to bottom), and where
     * scoring stopped.
     *
     * @param stoppedBy for each candidate, the filter that removed it before its three scores were all
     *                  computed (those not computed are NaN); null where every score was computed
     */
    public record Scores(double[][] bypass, double[][] induce, double[][] kl, Filter[][] stoppedBy) {
        /** Every candidate in the official loop order (position -P first, then layer). */
        public List<CandidateScore> list() {
            int P = bypass.length, L = bypass[0].length;
            List<CandidateScore> out = new ArrayList<>(P * L);
            for (int p = 0; p < P; p++) {
                for (int l = 0; l < L; l++) out.add(new CandidateScore(p - P, l, bypass[p][l], induce[p][l], kl[p][l], stoppedBy[p][l]));
            }
            return out;
        }
    }

    /** Every candidate with all three scores: the full heatmaps. */
    public Scores score(float[][][] candidates, List<int[]> harmfulVal, List<int[]> harmlessVal, ProgressListener progress) {
        return score(candidates, harmfulVal, harmlessVal, null, progress);
    }

    /**
     * Scores the candidates, doing only the work that can change the selection under {@code stopAt}:
     * a candidate from a layer the prune rule removes is not scored, and the cheaper pass runs first
     * (the induce pass, on the harmless prompts only and from the candidate's layer on) so that a
     * candidate it removes (induce below the threshold, or NaN) gets no ablation pass. With only a KL
     * threshold the ablation pass runs first and a candidate it removes gets no induce pass. Every
     * score that is computed is the one {@code stopAt} null computes, bit for bit: the passes and
     * their batches do not depend on which other passes run.
     *
     * @param stopAt   the filters selection will apply; null: every candidate gets every score
     * @param progress told the number of candidates done so far, positions outer and layers inner (may be null)
     */
    public Scores score(float[][][] candidates, List<int[]> harmfulVal, List<int[]> harmlessVal, SelectionCriteria stopAt,
                        ProgressListener progress) {
        return score(candidates, harmfulVal, harmlessVal, stopAt, i -> true, progress);
    }

    /**
     * Scores the candidates {@code mine} accepts, by index {@code position * layers + layer}; the
     * others get NaN scores and no filter. A candidate's scores do not depend on which others are
     * scored, so workers each given some of the candidates compute, together, what one process
     * computes.
     */
    public Scores score(float[][][] candidates, List<int[]> harmfulVal, List<int[]> harmlessVal, SelectionCriteria stopAt,
                        IntPredicate mine, ProgressListener progress) {
        if (sweep != null) return new SweptScoring(this, model, sweep, batchSize).score(candidates, harmfulVal, harmlessVal, stopAt, mine, progress);
        int P = candidates.length, L = candidates[0].length, nHarmful = harmfulVal.size();
        List<int[]> both = new ArrayList<>(harmfulVal);
        both.addAll(harmlessVal);
        int shared = prefixLength(both); // one prefix serves both sets
        // Ablation runs the same hooks on both sets, so they share batches: one pass gives bypass and KL.
        PromptSet ablated = new PromptSet(both, shared), harmless = new PromptSet(harmlessVal, shared);

        // Baseline on the harmless prompts: every layer's resid_pre (of the prefix and of each batch),
        // from which the induce passes start.
        float[][] prefixResid = new float[L][];
        KvCache basePrefix = harmless.prefixCacheKeeping(prefixResid);
        float[][][] batchResid = new float[harmless.batches()][][];
        harmless.lastLogits(basePrefix, null, null, batchResid);
        // KL's reference: the baseline in the batches of the ablation pass, so that both rows of a
        // prompt come from the same products.
        float[][] base = ablated.lastLogits(basePrefix, null, null, null);
        KlDivergence.Reference[] reference = new KlDivergence.Reference[harmlessVal.size()];
        for (int i = 0; i < reference.length; i++) {
            float[] row = base[nHarmful + i];
            reference[i] = new KlDivergence.Reference(row, 0, row.length, KlDivergence.OFFICIAL_EPSILON);
        }
        int pruned = stopAt == null ? L : stopAt.firstPrunedLayer(L);
        boolean ablateFirst = stopAt != null && stopAt.klThreshold() != null && stopAt.induceThreshold() == null;

        double[][] bypass = new double[P][L], induce = new double[P][L], kl = new double[P][L];
        Filter[][] stopped = new Filter[P][L];
        for (int p = 0; p < P; p++) {
            for (int l = 0; l < L; l++) {
                float[] r = candidates[p][l];
                float[] unit = UnitVector.orNull(r);
                bypass[p][l] = induce[p][l] = kl[p][l] = Double.NaN;
                if (!mine.test(p * L + l)) {
                    // another worker's
                } else if (unit != null && l >= pruned) {
                    stopped[p][l] = Filter.LAYER;
                } else if (unit != null) {
                    double[] bk = null;
                    if (ablateFirst) {
                        bk = ablation(ablated, unit, nHarmful, reference);
                        stopped[p][l] = stopAfterAblation(stopAt, bk);
                    }
                    if (stopped[p][l] == null) {
                        induce[p][l] = induce(harmless, r, l, basePrefix, prefixResid, batchResid);
                        if (!ablateFirst) stopped[p][l] = stopAfterInduce(stopAt, induce[p][l]);
                    }
                    if (bk == null && stopped[p][l] == null) bk = ablation(ablated, unit, nHarmful, reference);
                    if (bk != null) {
                        bypass[p][l] = bk[0];
                        kl[p][l] = bk[1];
                    }
                }
                if (progress != null) progress.done((long) p * L + l + 1);
            }
        }
        return new Scores(bypass, induce, kl, stopped);
    }

    /** {bypass, KL}: the harmful and harmless prompts in one set of batches, r̂ ablated everywhere. */
    private double[] ablation(PromptSet set, float[] unit, int nHarmful, KlDivergence.Reference[] reference) {
        IntFunction<Hooks> ablate = i -> Interventions.ablate(new Hooks(), unit);
        KvCache prefix = set.prefixCache(ablate.apply(-1), null, null);
        return bypassKl(set.lastLogits(prefix, ablate, null, null), nHarmful, reference);
    }

    /** {bypass, KL} from the last-position logits of the harmful prompts and then the harmless ones, r̂ ablated. */
    double[] bypassKl(float[][] logits, int nHarmful, KlDivergence.Reference[] reference) {
        double[] refusal = new double[nHarmful];
        for (int i = 0; i < nHarmful; i++) refusal[i] = RefusalScore.fromLogits(logits[i], refusalTokens);
        double k = 0;
        for (int i = 0; i < reference.length; i++) k += reference[i].from(logits[nHarmful + i], 0);
        return new double[] {mean(refusal), k / reference.length};
    }

    /** Mean refusal score of the harmless prompts with r added at {@code layer}: the pass starts there from the baseline. */
    private double induce(PromptSet harmless, float[] r, int layer, KvCache basePrefix, float[][] prefixResid, float[][][] batchResid) {
        IntFunction<Hooks> add = i -> Interventions.add(new Hooks(), r, 1f, layer);
        KvCache prefix = harmless.prefixCache(add.apply(-1), basePrefix, new Forward.Start(layer, prefixResid[layer]));
        return induceScore(harmless.lastLogits(prefix, add, i -> new Forward.Start(layer, batchResid[i][layer]), null));
    }

    /** The induce score from the harmless prompts' last-position logits with r added. */
    double induceScore(float[][] logits) {
        return mean(refusalScores(logits));
    }

    /** The filter that removes a candidate with this induce score, if {@code stopAt} applies one. */
    static Filter stopAfterInduce(SelectionCriteria stopAt, double induce) {
        if (stopAt == null) return null;
        if (Double.isNaN(induce)) return Filter.NAN;
        return stopAt.induceThreshold() != null && induce < stopAt.induceThreshold() ? Filter.INDUCE : null;
    }

    /** The filter that removes a candidate with these {bypass, KL} scores, if {@code stopAt} applies one. */
    static Filter stopAfterAblation(SelectionCriteria stopAt, double[] bypassKl) {
        if (stopAt == null) return null;
        if (Double.isNaN(bypassKl[0]) || Double.isNaN(bypassKl[1])) return Filter.NAN;
        return stopAt.klThreshold() != null && bypassKl[1] > stopAt.klThreshold() ? Filter.KL : null;
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s / v.length;
    }
}
