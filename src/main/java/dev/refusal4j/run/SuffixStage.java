package dev.refusal4j.run;

import dev.refusal4j.Progress;
import dev.refusal4j.artifacts.RunFolder;
import dev.refusal4j.artifacts.SuffixAnalysisFile;
import dev.refusal4j.artifacts.SuffixHeldOut;
import dev.refusal4j.attack.Gcg;
import dev.refusal4j.attack.SuffixAnalysis;
import dev.refusal4j.attack.SuffixAnalysis.Group;
import dev.refusal4j.attack.SuffixFile;
import dev.refusal4j.attack.SuffixSearch;
import dev.refusal4j.chat.PromptEncoder;
import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.evaluate.Completion;
import dev.refusal4j.evaluate.Completions;
import dev.refusal4j.intervene.Condition;
import dev.refusal4j.prompts.EncodedPrompts;
import dev.refusal4j.evaluate.CompletionsFile;
import dev.refusal4j.evaluate.RefusalJudge;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.prompts.Prompt;
import dev.refusal4j.prompts.RunPrompts;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The paper's last section on a run (Section 5): a universal adversarial suffix found with GCG on
 * harmful training prompts the model refuses, chosen on the harmful validation prompts, measured
 * on the harmful test prompts it never saw — beside a random suffix of as many tokens — and
 * analysed against the run's direction ({@link SuffixAnalysis}). Writes {@code suffix/} in the run
 * folder; a resumed run goes on from {@code suffix/suffix.json}.
 */
public final class SuffixStage {
    /**
     * @param prompts training prompts attacked at once (the first ones the model refuses)
     * @param target  one target for every prompt, or null: each prompt's own answer with the direction ablated
     */
    public record Options(int prompts, int steps, String target) {
        public Options {
            if (prompts < 1) throw new IllegalArgumentException("--suffix-prompts must be at least 1, got " + prompts);
            if (steps < 1) throw new IllegalArgumentException("--suffix-steps must be at least 1, got " + steps);
            if (target != null && target.isBlank()) throw new IllegalArgumentException("--suffix-target is empty");
        }
    }

    static final int SUFFIX_TOKENS = 20, TOP_K = 256, CANDIDATES = 128, VALIDATE_EVERY = 5, JUDGED_TOKENS = 32, TARGET_TOKENS = 1;

    /** What suffix.json says of the targets when each prompt has its own. */
    static final String ABLATED_TARGET = "per prompt: the model's first token with the refusal direction ablated";

    private final Transformer model;
    private final PromptEncoder encoder;
    private final RunFolder folder;
    private final RunConfig cfg;
    private final int[] stop;
    private final int batch;

    SuffixStage(Transformer model, PromptEncoder encoder, RunFolder folder, RunConfig cfg, int[] stop, int batch) {
        this.model = model;
        this.encoder = encoder;
        this.folder = folder;
        this.cfg = cfg;
        this.stop = stop;
        this.batch = batch;
    }

    void run(RunPrompts prompts, RefusalDirection dir, Options o) throws IOException {
        SuffixSearch search = new SuffixSearch(model, encoder, stop, batch);
        List<Prompt> train = new ArrayList<>();
        List<String> targets = new ArrayList<>();
        chooseTraining(search, prompts.get("harmful_train"), dir, o, train, targets);
        if (train.isEmpty()) throw new IllegalStateException("the model refuses none of the harmful training prompts: there is no refusal for a suffix to break");
        SuffixSearch.Settings settings = new SuffixSearch.Settings(o.target() == null ? ABLATED_TARGET : o.target(), o.steps(),
                new Gcg.Options(SUFFIX_TOKENS, TOP_K, CANDIDATES, cfg.seed, Gcg.Success.NO_REFUSAL), true, VALIDATE_EVERY, JUDGED_TOKENS);
        SuffixFile found = search.run(train, o.target() == null ? targets : null, prompts.get("harmful_val"), settings, folder.suffixSearch(),
                cfg.resume, cfg.quiet);

        // held out: the test prompts, as the run's completions answer them (same length, same judge)
        List<Prompt> test = prompts.get("harmful_test");
        String random = SuffixAnalysis.randomSuffix(encoder.tokenizer, model.config.vocab, SUFFIX_TOKENS, cfg.seed);
        RefusalJudge judge = RefusalJudge.of(cfg.judge);
        List<Completion> none = CompletionsFile.readJsonl(folder.completions(dev.refusal4j.artifacts.CompletionSet.HARMFUL_BASELINE));
        List<Completion> adversarial, randomized;
        try (Progress p = new Progress("suffix held out", 2, "sets", cfg.quiet)) {
            adversarial = search.complete(test, found.suffix(), cfg.maxNewTokens);
            p.step(1);
            randomized = search.complete(test, random, cfg.maxNewTokens);
            p.step(1);
        }
        CompletionsFile.writeJsonl(folder.suffixCompletions("adversarial"), adversarial);
        CompletionsFile.writeJsonl(folder.suffixCompletions("random"), randomized);
        new SuffixHeldOut(found.suffix(), random, test.size(), rate(judge, none), rate(judge, adversarial), rate(judge, randomized),
                cfg.maxNewTokens, train.size(), found.steps(), found.chosenStep()).write(folder.suffixHeldOut());

        // the analysis: the test prompts with and without the suffixes, and the harmless test prompts
        List<String> harmful = new ArrayList<>(), harmless = new ArrayList<>();
        for (Prompt p : test) harmful.add(p.instruction());
        for (Prompt p : prompts.get("harmless_test")) harmless.add(p.instruction());
        SuffixAnalysis.Result r;
        try (Progress p = new Progress("suffix analysis", 3L * harmful.size() + harmless.size(), "prompts", cfg.quiet)) {
            r = new SuffixAnalysis(model, encoder, dir).run(harmful, harmless, found.suffix(), new SuffixAnalysis.Options(8, cfg.seed), p::stepTo);
        }
        analysisFile(r, cfg.model.toString(), folder.direction().toString()).write(folder.suffixAnalysis());
    }

    /**
     * The first {@code o.prompts()} training prompts the model refuses and, with the direction
     * ablated, answers; and each one's target: the first {@value #TARGET_TOKENS} token of that
     * answer — how the model itself begins when it does not refuse, so the target is a completion it
     * can give (the organism never says "Sure, here is"). One token: the first token decides between
     * a refusal and an answer, while the tokens after it are about the request's content, and fitting
     * those makes a suffix that serves the training prompts rather than the held-out ones.
     */
    private void chooseTraining(SuffixSearch search, List<Prompt> candidates, RefusalDirection dir, Options o, List<Prompt> train,
                                List<String> targets) {
        List<Completion> plain = search.complete(candidates, "", JUDGED_TOKENS);
        List<Completion> ablated = Completions.generate(model, encoder, EncodedPrompts.of(candidates, encoder), Condition.ABLATION.hooks(dir, 1f),
                TARGET_TOKENS, stop, batch, n -> {});
        RefusalJudge judge = RefusalJudge.official();
        for (int i = 0; i < candidates.size() && train.size() < o.prompts(); i++) {
            String answer = ablated.get(i).response().strip();
            if (!judge.isRefusal(plain.get(i).response()) || answer.isEmpty() || judge.isRefusal(answer)) continue;
            train.add(candidates.get(i));
            targets.add(answer);
        }
    }

    private static double rate(RefusalJudge judge, List<Completion> cs) {
        int n = 0;
        for (Completion c : cs) if (judge.isRefusal(c.response())) n++;
        return cs.isEmpty() ? Double.NaN : (double) n / cs.size();
    }

    /** The analysis as its file holds it, group names as keys. */
    public static SuffixAnalysisFile analysisFile(SuffixAnalysis.Result r, String model, String directionFile) {
        Map<String, List<Double>> cosine = new LinkedHashMap<>(), std = new LinkedHashMap<>();
        Map<String, List<List<Double>>> projection = new LinkedHashMap<>();
        for (Group g : Group.values()) {
            cosine.put(g.key, list(r.cosineMean().get(g)));
            std.put(g.key, list(r.cosineStd().get(g)));
            List<List<Double>> rows = new ArrayList<>();
            for (double[] row : r.headProjection().get(g)) rows.add(list(row));
            projection.put(g.key, rows);
        }
        List<SuffixAnalysisFile.Head> heads = new ArrayList<>();
        for (SuffixAnalysis.Head h : r.heads()) {
            Map<String, Double> v = new LinkedHashMap<>();
            for (Group g : Group.values()) v.put(g.key, h.of(g));
            heads.add(new SuffixAnalysisFile.Head(h.layer(), h.head(), v));
        }
        List<SuffixAnalysisFile.HeadAttention> attention = new ArrayList<>();
        for (SuffixAnalysis.HeadAttention a : r.attention()) {
            Map<String, SuffixAnalysisFile.Shares> s = new LinkedHashMap<>();
            for (Group g : SuffixAnalysis.ATTENTION_GROUPS) {
                SuffixAnalysis.Shares x = a.shares().get(g);
                s.put(g.key, new SuffixAnalysisFile.Shares(x.instruction(), x.suffix(), x.other()));
            }
            attention.add(new SuffixAnalysisFile.HeadAttention(a.layer(), a.head(), s));
        }
        Map<String, Boolean> checks = new LinkedHashMap<>();
        checks.put("cosine_lower", r.checks().cosineLower());
        checks.put("heads_reduced", r.checks().headsReduced());
        checks.put("attention_shifted", r.checks().attentionShifted());
        return new SuffixAnalysisFile(model, r.suffix(), r.suffixTokens(), r.randomSuffix(), r.seed(), directionFile, r.directionLayer(),
                r.directionPosition(), r.harmfulPrompts(), r.harmlessPrompts(), r.points(), cosine, std, projection, heads, attention,
                checks, r.verdict());
    }

    private static List<Double> list(double[] v) {
        List<Double> out = new ArrayList<>(v.length);
        for (double x : v) out.add(x);
        return out;
    }
}
