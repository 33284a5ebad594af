package dev.refusal4j.optimize;

import dev.refusal4j.chat.PromptEncoder;
import dev.refusal4j.evaluate.Completion;
import dev.refusal4j.evaluate.Completions;
import dev.refusal4j.evaluate.RefusalJudge;
import dev.refusal4j.export.EditedWeights;
import dev.refusal4j.intervene.PartialAblation;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.prompts.EncodedPrompts;
import dev.refusal4j.select.CandidateScorer;
import dev.refusal4j.select.KlDivergence;

import java.util.List;
import java.util.function.Supplier;

/**
 * A search's two objectives for one edit, both minimised:
 * <ul>
 *   <li>KL: the mean over harmless prompts of KL(unedited ‖ edited) of the first answer token's
 *       distribution (the last prompt position), the paper's KL score ({@link KlDivergence#official});</li>
 *   <li>refusal rate: the share of harmful prompts whose greedy answer of at most
 *       {@code maxNewTokens} tokens the refusal judge calls a refusal.</li>
 * </ul>
 * An edit with a run-time hook is measured with hooks on the loaded model; a norm-preserving edit,
 * which has none, on the model with its weights edited in memory ({@link EditedWeights}).
 * KL comes first because it is one forward pass; the answers are generated a batch at a time, and
 * the trial stops as soon as {@link Hopeless} says no refusal rate it could still reach would put
 * it on the front.
 */
public final class Objectives {
    /** Whether a trial with this KL whose refusal rate is at least {@code minRefusal} is certainly dominated. */
    public interface Hopeless {
        boolean test(double minRefusal, double kl);

        Hopeless NEVER = (r, k) -> false;
    }

    /** @param refusalRate NaN when pruned */
    public record Result(double refusalRate, double kl, boolean pruned) {}

    /** Harmful prompts answered between two looks at whether the trial is hopeless: small, so a hopeless trial stops early. */
    static final int PRUNE_EVERY = 8;

    private final Transformer model;
    private final PromptEncoder encoder;
    private final EncodedPrompts harmful, harmless;
    private final int maxNewTokens, batch;
    private final int[] stop;
    private final RefusalJudge judge;
    private final KlDivergence.Reference[] base;

    public Objectives(Transformer model, PromptEncoder encoder, EncodedPrompts harmful, EncodedPrompts harmless, int maxNewTokens, int[] stop, int batch,
                      RefusalJudge judge) {
        if (harmful.size() == 0 || harmless.size() == 0) throw new IllegalArgumentException("the objectives need harmful and harmless prompts");
        this.model = model;
        this.encoder = encoder;
        this.harmful = harmful;
        this.harmless = harmless;
        this.maxNewTokens = maxNewTokens;
        this.stop = stop;
        this.batch = batch;
        this.judge = judge;
        float[][] logits = scorer(model).lastLogits(harmless.ids(), null);
        base = new KlDivergence.Reference[logits.length];
        for (int i = 0; i < logits.length; i++) base[i] = new KlDivergence.Reference(logits[i], 0, logits[i].length, KlDivergence.OFFICIAL_EPSILON);
    }

    private CandidateScorer scorer(Transformer m) {
        return new CandidateScorer(m, encoder.refusalTokens(), batch);
    }

    /** Both objectives of a partial ablation. */
    public Result evaluate(PartialAblation edit, Hopeless hopeless) {
        if (!edit.normPreserving()) return evaluate(model, edit::hooks, hopeless);
        try (Transformer edited = new Transformer(model.dir, model.config, new EditedWeights(model.config, model.files(), edit))) {
            return evaluate(edited, null, hopeless);
        }
    }

    /** Both objectives of the loaded model under {@code hooks} (null: none), e.g. the paper's ablation. */
    public Result evaluate(Supplier<Hooks> hooks, Hopeless hopeless) {
        return evaluate(model, hooks, hopeless);
    }

    /** The harmless prompts KL is measured on. */
    public EncodedPrompts harmless() {
        return harmless;
    }

    /** The unedited model's refusal score (the paper's log-odds of its refusal tokens) on each harmless prompt: near 0, a prompt it almost refuses. */
    public double[] harmlessRefusalScores() {
        return scorer(model).refusalScores(harmless.ids(), null);
    }

    /** KL of each harmless prompt under {@code edit}, in {@link #harmless()}'s order; their mean is the KL objective. */
    public double[] klPerPrompt(PartialAblation edit) {
        if (!edit.normPreserving()) return klPerPrompt(model, edit::hooks);
        try (Transformer edited = new Transformer(model.dir, model.config, new EditedWeights(model.config, model.files(), edit))) {
            return klPerPrompt(edited, null);
        }
    }

    /** KL of each harmless prompt under {@code hooks}, in {@link #harmless()}'s order. */
    public double[] klPerPrompt(Supplier<Hooks> hooks) {
        return klPerPrompt(model, hooks);
    }

    private double[] klPerPrompt(Transformer m, Supplier<Hooks> hooks) {
        float[][] logits = scorer(m).lastLogits(harmless.ids(), hooks);
        double[] kl = new double[logits.length];
        for (int i = 0; i < logits.length; i++) kl[i] = base[i].from(logits[i], 0);
        return kl;
    }

    private Result evaluate(Transformer m, Supplier<Hooks> hooks, Hopeless hopeless) {
        double kl = 0;
        for (double k : klPerPrompt(m, hooks)) kl += k;
        kl /= harmless.size();
        if (hopeless.test(0, kl)) return new Result(Double.NaN, kl, true);
        int refused = 0, n = harmful.size();
        Supplier<Hooks> h = hooks == null ? () -> null : hooks;
        for (int from = 0; from < n; from += PRUNE_EVERY) {
            int to = Math.min(n, from + PRUNE_EVERY);
            EncodedPrompts chunk = new EncodedPrompts(harmful.prompts().subList(from, to), harmful.ids().subList(from, to));
            List<Completion> out = Completions.generate(m, encoder, chunk, h, maxNewTokens, stop, batch, k -> {});
            for (Completion c : out) if (judge.isRefusal(c.response())) refused++;
            if (to < n && hopeless.test(refused / (double) n, kl)) return new Result(Double.NaN, kl, true);
        }
        return new Result(refused / (double) n, kl, false);
    }
}
