package dev.refusal4j.attack;

import dev.refusal4j.chat.PromptEncoder;
import dev.refusal4j.evaluate.RefusalJudge;
import dev.refusal4j.generate.Generator;
import dev.refusal4j.generate.SamplingOptions;
import dev.refusal4j.grad.TargetLoss;
import dev.refusal4j.grad.TokenGradients;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Greedy Coordinate Gradient (Zou et al. 2023, "Universal and Transferable Adversarial Attacks on
 * Aligned Language Models", Algorithm 1 and 2): a suffix of tokens appended to the instruction is
 * optimized to make a target completion likely. Each step
 * <ol>
 *   <li>computes the loss L = Σ_prompts CE(target | prompt + suffix) and its gradient by the
 *       one-hot suffix tokens ({@link TokenGradients}; each prompt's gradient normalized per
 *       position before summing, as the reference does in its universal mode);</li>
 *   <li>takes, per suffix position, the top-k tokens with the most negative gradient, among the
 *       allowed tokens ({@link #allowedTokens}: not special, decoding to printable ASCII);</li>
 *   <li>draws {@code batch} candidates, each the current suffix with one random position set to a
 *       random one of its top-k tokens; a candidate whose text does not re-encode to its own ids
 *       is dropped (it could not be given as text);</li>
 *   <li>evaluates every candidate's exact loss by batched forward passes and moves to the best
 *       one when it is lower than the current loss.</li>
 * </ol>
 * The reference moves to the step's best candidate even when it is worse; here the suffix only
 * ever improves, so the loss history never rises. Success of a prompt is its greedy completion
 * starting with the target text ({@link Success#TARGET}) or containing no refusal phrase of
 * {@link RefusalJudge#official()} ({@link Success#NO_REFUSAL}); the attack stops when every prompt
 * succeeds. One prompt is the individual attack, several the universal one.
 * Deterministic: step i draws from a {@link SplittableRandom} of the seed and i, so a run resumed
 * from step i's suffix ({@link #resume}) goes on as the uninterrupted run would have.
 */
public final class Gcg {
    public enum Success { TARGET, NO_REFUSAL }

    /**
     * @param topK   candidate tokens per position (reference: 256)
     * @param batch  candidate suffixes per step (reference: 512; 128 fits a CPU)
     */
    public record Options(int suffixLength, int topK, int batch, long seed, Success success) {
        public Options {
            if (suffixLength < 1) throw new IllegalArgumentException("the suffix length must be at least 1, got " + suffixLength);
            if (topK < 1) throw new IllegalArgumentException("top-k must be at least 1, got " + topK);
            if (batch < 1) throw new IllegalArgumentException("the candidate batch must be at least 1, got " + batch);
            if (success == null) success = Success.TARGET;
        }
    }

    /** After a step: the suffix kept, its loss, and (when checked) which prompts succeed with it. */
    public record Step(int step, int[] suffix, double loss, boolean[] success) {
        public int successes() {
            int n = 0;
            for (boolean s : success) if (s) n++;
            return n;
        }

        public boolean allSucceed() {
            return successes() == success.length;
        }
    }

    @FunctionalInterface
    public interface Listener {
        void onStep(Step step);
    }

    private final Transformer model;
    private final PromptEncoder encoder;
    private final Tokenizer tokenizer;
    private final List<AttackPrompt> prompts;
    private final Options options;
    private final int[] stopIds;
    private final boolean[] allowed;
    private final TokenGradients gradients;
    private int[] suffix;
    private int stepsDone;
    private double loss;

    public Gcg(Transformer model, PromptEncoder encoder, List<AttackPrompt> prompts, Options options, int[] stopIds) {
        if (prompts.isEmpty()) throw new IllegalArgumentException("a suffix attack needs at least one prompt");
        this.model = model;
        this.encoder = encoder;
        this.tokenizer = encoder.tokenizer;
        this.prompts = List.copyOf(prompts);
        this.options = options;
        this.stopIds = stopIds.clone();
        this.allowed = allowedTokens(tokenizer, model.config.vocab);
        for (AttackPrompt p : prompts) {
            int len = p.withTarget(new int[options.suffixLength()]).length;
            if (len > model.config.maxPositions) throw new IllegalArgumentException("prompt, suffix of " + options.suffixLength() + " and target take " + len + " tokens, more than the model's context of " + model.config.maxPositions);
        }
        this.gradients = new TokenGradients(model);
        this.suffix = initialSuffix(options.suffixLength());
        this.loss = Double.NaN;
    }

    /**
     * The tokens a suffix may hold: not special and decoding, alone, to non-empty printable ASCII
     * (the reference's {@code get_nonascii_toks}, which also removes BOS, EOS, pad and unknown).
     * Ids past the tokenizer's vocabulary (padding rows of the embedding) are not allowed.
     */
    public static boolean[] allowedTokens(Tokenizer tokenizer, int vocab) {
        boolean[] ok = new boolean[vocab];
        int n = Math.min(vocab, tokenizer.vocabSize());
        for (int v = 0; v < n; v++) {
            if (tokenizer.isSpecial(v)) continue;
            String s;
            try {
                s = tokenizer.decode(new int[] {v}, false);
            } catch (RuntimeException e) {
                continue;
            }
            boolean printable = !s.isEmpty();
            for (int i = 0; i < s.length() && printable; i++) printable = s.charAt(i) >= 0x20 && s.charAt(i) < 0x7f;
            ok[v] = printable;
        }
        return ok;
    }

    /**
     * The reference's start, "! ! ! …", with as many marks as give {@code n} tokens after the
     * instruction; else "!!!…" so; else the first allowed token, not blank, that survives repeated.
     */
    private int[] initialSuffix(int n) {
        for (int k = 1; k <= n; k++) {
            for (String text : new String[] {"!" + " !".repeat(k - 1), "!".repeat(k)}) {
                int[] ids = idsOf(text);
                if (ids != null && ids.length == n && Arrays.stream(ids).allMatch(v -> v < allowed.length && allowed[v])) return ids;
            }
        }
        for (int v = 0; v < allowed.length; v++) {
            if (!allowed[v] || tokenizer.decode(new int[] {v}, false).isBlank()) continue;
            int[] same = new int[n];
            Arrays.fill(same, v);
            if (survives(same)) return same;
        }
        throw new IllegalArgumentException("no suffix of " + n + " tokens survives as text after the instruction: the tokenizer merges every printable token with its neighbours");
    }

    /** The ids {@code text} takes as the suffix (after the first prompt's instruction), or null where the tokenizer merges it with the prompt. */
    public int[] idsOf(String text) {
        return prompts.getFirst().suffixIds(encoder, text);
    }

    public int[] suffix() {
        return suffix.clone();
    }

    public String suffixText() {
        return AttackPrompt.suffixText(tokenizer, suffix);
    }

    /** The summed loss of the current suffix (computed on first use). */
    public double loss() {
        if (Double.isNaN(loss)) loss = losses(List.of(suffix))[0];
        return loss;
    }

    /** Steps done so far (counting those before a {@link #resume}). */
    public int stepsDone() {
        return stepsDone;
    }

    /** Continues from a suffix kept after {@code stepsDone} steps of a run with the same options, and its loss then. */
    public void resume(int[] suffix, int stepsDone, double loss) {
        if (suffix.length != options.suffixLength()) throw new IllegalArgumentException("the suffix to resume has " + suffix.length + " tokens, not " + options.suffixLength());
        for (int v : suffix) if (v < 0 || v >= allowed.length || !allowed[v]) throw new IllegalArgumentException("the suffix to resume holds token " + v + ", which a suffix may not hold");
        if (stepsDone < 0) throw new IllegalArgumentException("steps done is negative: " + stepsDone);
        this.suffix = suffix.clone();
        this.stepsDone = stepsDone;
        this.loss = loss;
    }

    /** Runs until {@code steps} steps are done in all, stopping early when every prompt succeeds; returns the state after each step run. */
    public List<Step> run(int steps, Listener listener) {
        List<Step> history = new ArrayList<>();
        while (stepsDone < steps) {
            step();
            Step st = new Step(stepsDone, suffix(), loss, successes());
            history.add(st);
            if (listener != null) listener.onStep(st);
            if (st.allSucceed()) break;
        }
        return history;
    }

    /** One GCG step; returns the loss kept (never above the loss before it). */
    public double step() {
        int n = suffix.length, V = model.config.vocab;
        double[] grad = new double[n * V];
        for (AttackPrompt p : prompts) {
            int[] ids = p.withTarget(suffix);
            int[] positions = new int[n];
            for (int i = 0; i < n; i++) positions[i] = p.suffixStart() + i;
            TokenGradients.Result r = gradients.compute(ids, TargetLoss.completion(ids, p.targetFrom(n)), positions);
            for (int i = 0; i < n; i++) {
                float[] g = r.tokenGrad()[i];
                double norm = 0;
                for (float x : g) norm += (double) x * x;
                norm = Math.sqrt(norm);
                if (norm == 0) continue;
                for (int v = 0; v < V; v++) grad[i * V + v] += g[v] / norm;
            }
        }
        loss(); // the batched forward's value, as every later loss is, not the gradient pass's (they differ in the last bits)
        int[][] top = topK(grad, n, V);
        SplittableRandom random = new SplittableRandom(options.seed() ^ (0x9E3779B97F4A7C15L * (stepsDone + 1L)));
        stepsDone++;
        List<int[]> candidates = new ArrayList<>();
        String current = suffixText();
        for (int b = 0; b < options.batch(); b++) {
            int pos = random.nextInt(n);
            int[] cand = suffix.clone();
            cand[pos] = top[pos][random.nextInt(top[pos].length)];
            if (survives(cand) && !AttackPrompt.suffixText(tokenizer, cand).equals(current)) candidates.add(cand);
        }
        if (candidates.isEmpty()) return loss;
        double[] l = losses(candidates);
        int best = 0;
        for (int i = 1; i < l.length; i++) if (l[i] < l[best]) best = i;
        if (l[best] < loss) {
            suffix = candidates.get(best);
            loss = l[best];
        }
        return loss;
    }

    /**
     * Whether the suffix given as text after the instruction is these ids: otherwise the suffix a
     * user pastes would not be the one optimized (the reference keeps only suffixes whose text
     * re-encodes to them).
     */
    boolean survives(int[] cand) {
        return Arrays.equals(idsOf(AttackPrompt.suffixText(tokenizer, cand)), cand);
    }

    private int[][] topK(double[] grad, int n, int V) {
        int[][] top = new int[n][];
        for (int i = 0; i < n; i++) {
            final int off = i * V;
            int[] ids = java.util.stream.IntStream.range(0, V).filter(v -> allowed[v]).boxed()
                    .sorted((a, b) -> { int c = Double.compare(grad[off + a], grad[off + b]); return c != 0 ? c : Integer.compare(a, b); })
                    .limit(options.topK()).mapToInt(Integer::intValue).toArray();
            if (ids.length == 0) throw new IllegalStateException("no allowed token for the suffix");
            top[i] = ids;
        }
        return top;
    }

    /** The summed target loss over the prompts of each suffix (all of one length). */
    public double[] losses(List<int[]> suffixes) {
        return TargetLosses.of(model, prompts, suffixes);
    }

    /** Whether each prompt succeeds with the current suffix (greedy completion as long as the target). */
    public boolean[] successes() {
        List<int[]> inputs = new ArrayList<>();
        int maxNew = 0;
        for (AttackPrompt p : prompts) {
            inputs.add(p.prompt(suffix));
            maxNew = Math.max(maxNew, p.target().length);
        }
        if (options.success() == Success.NO_REFUSAL) maxNew = Math.max(maxNew, 32);
        List<int[]> outs = new Generator(model).generate(inputs, maxNew, stopIds, SamplingOptions.GREEDY, null, null);
        boolean[] ok = new boolean[prompts.size()];
        RefusalJudge judge = RefusalJudge.official();
        for (int i = 0; i < ok.length; i++) {
            String text = tokenizer.decode(outs.get(i), true);
            String target = tokenizer.decode(prompts.get(i).target(), true);
            ok[i] = options.success() == Success.TARGET ? text.strip().startsWith(target.strip()) : !judge.isRefusal(text);
        }
        return ok;
    }
}
