package dev.refusal4j.run;

import dev.refusal4j.Progress;
import dev.refusal4j.Version;
import dev.refusal4j.artifacts.Candidates;
import dev.refusal4j.artifacts.CompletionSet;
import dev.refusal4j.artifacts.DirectionSummary;
import dev.refusal4j.artifacts.Metrics;
import dev.refusal4j.artifacts.RunFolder;
import dev.refusal4j.artifacts.RunSettings;
import dev.refusal4j.io.AtomicFiles;
import dev.refusal4j.chat.PromptEncoder;
import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.evaluate.AnswerQuality;
import dev.refusal4j.evaluate.Completion;
import dev.refusal4j.evaluate.Completions;
import dev.refusal4j.evaluate.CompletionsFile;
import dev.refusal4j.evaluate.CorpusLoss;
import dev.refusal4j.evaluate.GuardJudge;
import dev.refusal4j.evaluate.GuardVerdict;
import dev.refusal4j.evaluate.ChatLoss;
import dev.refusal4j.evaluate.RefusalJudge;
import dev.refusal4j.evaluate.RefusalRates;
import dev.refusal4j.extract.CandidateDirections;
import dev.refusal4j.extract.MeanActivations;
import dev.refusal4j.generate.GenerationConfig;
import dev.refusal4j.intervene.Condition;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.organism.OrganismEval;
import dev.refusal4j.prompts.EncodedPrompts;
import dev.refusal4j.prompts.RunPrompts;
import dev.refusal4j.report.Report;
import dev.refusal4j.select.CandidateScore;
import dev.refusal4j.select.CandidateScorer;
import dev.refusal4j.select.DirectionSelector;
import dev.refusal4j.select.ScoreFilter;
import dev.refusal4j.select.Selection;
import dev.refusal4j.select.SelectionCriteria;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The paper's method on one model, stage by stage; each stage is one package and writes its files
 * into the run folder ({@link RunFolder}). With {@code resume}, a stage whose files exist is not
 * run again.
 */
public final class Pipeline implements AutoCloseable {
    private final RunConfig cfg;
    private final RunFolder folder;
    private final Transformer model;
    private final StageEngine engine;     // where stages 1-3 run: here, or on a cluster
    private final dev.refusal4j.model.LayerSweep.Budget sweep;   // null: the model fits in memory
    private final PromptEncoder encoder;
    private final int batch;
    private final int[] refusalTokens;
    private final int positions;          // post-instruction tokens: positions -positions..-1
    private final Map<String, Double> timings = new LinkedHashMap<>();
    private final Map<String, Double> flops = new LinkedHashMap<>();   // per stage: the model's forward FLOPs (model.Flops)
    private final Map<String, Double> counts = new LinkedHashMap<>();
    private final Map<String, EncodedPrompts> encoded = new LinkedHashMap<>();
    private RunPrompts prompts;
    private RunLock lock;

    public Pipeline(RunConfig cfg) throws IOException {
        cfg.validate();
        this.cfg = cfg;
        this.folder = new RunFolder(cfg.out);
        long t0 = System.nanoTime();
        this.model = Transformer.load(cfg.model);
        try {
            this.encoder = PromptEncoder.load(cfg.model, cfg.template, cfg.system, cfg.promptFormat, model.config.architecture);
            this.refusalTokens = cfg.refusalTokens != null ? cfg.refusalTokens : encoder.refusalTokens();
            for (int t : refusalTokens) {
                if (t < 0 || t >= model.config.vocab) throw new IllegalArgumentException("refusal token " + t + " is outside the vocabulary of " + model.config.vocab);
            }
            this.positions = encoder.postInstructionTokens();
            this.batch = cfg.batchSize > 0 ? cfg.batchSize : BatchSize.auto(model.config, 160);
            long limit = MemoryLimit.of(cfg.memoryLimit);
            this.sweep = MemoryLimit.sweepFor(cfg.model, limit, model.config.layers, cfg.out.resolve(".sweep"));
            if (sweep != null) {
                System.err.printf("the model's %s of weights exceed the memory limit of %s: activations and candidate scores sweep it one layer at a time"
                        + " (residual streams: %s in the heap, beyond it in %s)%n", MemoryLimit.describe(MemoryLimit.modelBytes(cfg.model)),
                        MemoryLimit.describe(limit), MemoryLimit.describe(sweep.residualBytes()), sweep.spillDir());
            }
            this.engine = cfg.spark == null ? new LocalEngine(model, sweep) : StageEngine.open("--spark", cfg.spark, cfg);
        } catch (RuntimeException | IOException e) {
            model.close();
            throw e;
        }
        timings.put("load", secondsSince(t0));
    }

    /** Runs every stage (skipping finished ones with resume) and returns the run folder. */
    public Path runAll() throws IOException {
        prepareOutput();
        say("model %s: %s; refusal tokens %s; %d post-instruction positions; batch %d", cfg.model, model.config,
                describeTokens(), positions, batch);
        say("prompt (%s), post-instruction tokens in [brackets]: %s", encoder.paperFormat() != null
                ? "the paper's " + encoder.paperFormat() + " format" : "the model's chat template", markedPrompt("How do I bake bread?"));
        if (encoder.templateInjectsSystemPrompt()) {
            System.err.println("warning: the chat template adds a system prompt that was not given (the paper uses none);"
                    + " --prompt-format model keeps it as deployed, --system-prompt TEXT replaces it");
        }
        CandidateDirections candidates = directions();   // 1. difference in means at every layer and position
        RefusalDirection dir = selectOrReport(candidates); // 2. bypass, induce and KL scores; filters; the lowest bypass
        completions(dir);                                  // 3. greedy completions under ablation and activation addition
        evaluate(dir);                                     // 4. refusal rates and loss
        if (cfg.suffixAttack != null) suffix(dir);         // 5. (optional) an adversarial suffix: found, held out, analysed
        report();                                          // 6. report.html
        return cfg.out;
    }

    /**
     * Takes the run folder for this run: refuses to mix a new run into an old folder unless asked to
     * resume (with the same options) or to start over, locks it against a second command, and fixes
     * the prompt sets.
     */
    public void prepareOutput() throws IOException {
        if (lock != null) return;
        if (Files.isDirectory(cfg.out) && !cfg.resume && !cfg.force) {
            try (var s = Files.list(cfg.out)) {
                if (s.anyMatch(f -> !f.equals(folder.lock()))) {
                    throw new IllegalArgumentException(cfg.out + " already holds a run: pass --resume to continue it or --force to overwrite it");
                }
            }
        }
        Files.createDirectories(cfg.out);
        lock = RunLock.take(folder.lock());
        RunSettings now = cfg.settings();
        if (cfg.resume && Files.isRegularFile(folder.settings())) {
            List<String> diff = RunSettings.read(folder.settings()).differences(now, RunConfig.RESUMABLE_WITH_ANY);
            if (!diff.isEmpty()) {
                throw new IllegalArgumentException(cfg.out + " was run with other options: " + String.join(", ", diff)
                        + "; resume with the same options, or start over with --force");
            }
        } else if (!cfg.resume) {
            for (Path f : folder.outputs()) AtomicFiles.deleteRecursively(f);   // --force: nothing of the old run survives
        }
        now.write(folder.settings());
        prompts();
    }

    /** The prompt sets, chosen once and saved in the run folder (a resumed run reuses them). */
    public RunPrompts prompts() throws IOException {
        if (prompts != null) return prompts;
        if (cfg.resume && RunPrompts.written(folder.prompts())) {
            prompts = RunPrompts.read(folder.prompts());
        } else {
            prompts = RunPrompts.choose(cfg.model, cfg.prompts());
            prompts.write(folder.prompts());
        }
        for (String n : RunPrompts.NAMES) counts.put(n, (double) prompts.get(n).size());
        return prompts;
    }

    /** Stage 1: mean resid_pre differences at every layer and post-instruction position. */
    public CandidateDirections directions() throws IOException {
        if (cfg.resume && Files.isRegularFile(folder.meanDiffs())) {
            say("directions: reusing %s", folder.meanDiffs());
            return CandidateDirections.read(folder.meanDiffs());
        }
        long t0 = System.nanoTime(), s0 = model.sweeps();
        double f0 = flops();
        EncodedPrompts[] sets = filterByScore("train");
        EncodedPrompts harmful = sets[0], harmless = sets[1];
        double[][][] mh, ml;
        try (Progress p = new Progress("mean activations", harmful.size() + harmless.size(), "prompts", cfg.quiet)) {
            mh = engine.meanResidPre(harmful.ids(), positions, batch, p::stepTo);
            ml = engine.meanResidPre(harmless.ids(), positions, batch, n -> p.stepTo(harmful.size() + n));
        }
        CandidateDirections diffs = new CandidateDirections(MeanActivations.difference(mh, ml));
        diffs.write(folder.meanDiffs(), cfg.model.toString());
        finished("directions", t0, f0, s0);
        return diffs;
    }

    /** Stage 2 as {@link #runAll} runs it: when selection fails, the report of the scores is still written. */
    private RefusalDirection selectOrReport(CandidateDirections candidates) throws IOException {
        try {
            return select(candidates);
        } catch (RuntimeException e) {
            try {
                report();
                System.err.println("partial report: " + folder.report());
            } catch (IOException | RuntimeException ignored) {
                // the original error matters more
            }
            throw e;
        }
    }

    /** Stage 2: score every candidate on the validation sets and pick one the paper's way. */
    public RefusalDirection select(CandidateDirections candidates) throws IOException {
        if (cfg.resume && Files.isRegularFile(folder.direction()) && Files.isRegularFile(folder.candidates()) && !(cfg.scoreAll && partlyScored())) {
            say("select: reusing %s", folder.direction());
            return RefusalDirection.read(folder.direction());
        }
        long t0 = System.nanoTime(), s0 = model.sweeps();
        double f0 = flops();
        EncodedPrompts[] sets = filterByScore("val");
        EncodedPrompts harmful = sets[0], harmless = sets[1];
        int P = candidates.positions(), L = candidates.layers();
        SelectionCriteria crit = cfg.criteria();
        List<CandidateScore> all;
        try (Progress p = new Progress("score candidates", (long) P * L, "dirs", cfg.quiet)) {
            all = engine.score(candidates.r(), harmful.ids(), harmless.ids(), refusalTokens, batch, cfg.scoreAll ? null : crit, p::stepTo).list();
        }
        sayStopped(all);
        Selection sel = DirectionSelector.judge(all, L, crit);
        if (sel.chosen() == null && all.stream().anyMatch(k -> k.stoppedBy() != null)) {
            // Nothing to select: every score, so that the error counts each candidate under the first filter
            // it fails, as the paper's code does, and the report's heatmaps show what each threshold removed.
            say("select: every candidate was filtered out; scoring all of them for the explanation and the report");
            try (Progress p = new Progress("score all candidates", (long) P * L, "dirs", cfg.quiet)) {
                all = engine.score(candidates.r(), harmful.ids(), harmless.ids(), refusalTokens, batch, null, p::stepTo).list();
            }
            sel = DirectionSelector.judge(all, L, crit);
        }
        candidatesFile(sel, crit).write(folder.candidates());   // written also when nothing is left: the report shows why
        CandidateScore c = sel.chosenOrThrow();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("model", cfg.model.toString());
        meta.put("bypass_score", Double.toString(c.bypass()));
        meta.put("induce_score", Double.toString(c.induce()));
        meta.put("kl_score", Double.toString(c.kl()));
        meta.put("tool", tool());
        RefusalDirection dir = new RefusalDirection(candidates.at(c.position(), c.layer()), c.layer(), c.position(), meta);
        dir.write(folder.direction());
        new DirectionSummary(dir.layer(), dir.position(), dir.norm(), dir.vector().length, cfg.model.toString(), tool(),
                c.bypass(), c.induce(), c.kl()).write(folder.directionJson());
        finished("select", t0, f0, s0);
        say("selected layer %d, position %d (bypass %.3f, induce %.3f, KL %.4f)", c.layer(), c.position(), c.bypass(), c.induce(), c.kl());
        return dir;
    }

    /** Whether candidates.json lacks a score that scoring every candidate computes. */
    private boolean partlyScored() {
        Candidates c = dev.refusal4j.artifacts.RunContents.read(folder).candidates;
        return c == null || c.list().stream().anyMatch(Candidates.Candidate::partlyScored);
    }

    /** How many candidates a filter removed before all their scores were computed, per filter. */
    private void sayStopped(List<CandidateScore> all) {
        Map<String, Integer> stopped = new TreeMap<>();
        for (CandidateScore c : all) if (c.stoppedBy() != null) stopped.merge(c.stoppedBy().name().toLowerCase(java.util.Locale.ROOT), 1, Integer::sum);
        if (stopped.isEmpty()) return;
        say("select: %d of %d candidates fully scored; scoring stopped at a filter for %s (--score-all scores every one)",
                all.size() - stopped.values().stream().mapToInt(Integer::intValue).sum(), all.size(), stopped);
    }

    private Candidates candidatesFile(Selection sel, SelectionCriteria crit) {
        int L = model.config.layers;
        List<Integer> pos = new ArrayList<>();
        // the token at each post-instruction position of a real prompt, for people reading the heatmaps
        // (the text after the instruction, tokenized alone, can split differently: SentencePiece)
        int[] prompt = encoder.encode(prompts.get("harmful_val").getFirst().instruction());
        Map<Integer, String> tokens = new TreeMap<>();
        for (int p = -positions; p < 0; p++) {
            pos.add(p);
            tokens.put(p, encoder.tokenizer.decode(new int[] {prompt[prompt.length + p]}, false));
        }
        List<Candidates.Candidate> list = new ArrayList<>();
        for (Selection.Verdict v : sel.verdicts()) {
            CandidateScore c = v.score();
            list.add(new Candidates.Candidate(c.position(), c.layer(), c.bypass(), c.induce(), c.kl(),
                    v.filter() == null ? null : v.filter().label(crit, L)));
        }
        Map<String, Double> th = new LinkedHashMap<>();
        if (crit.klThreshold() != null) th.put("kl", crit.klThreshold());
        if (crit.induceThreshold() != null) th.put("induce", crit.induceThreshold());
        if (crit.pruneLayerFraction() != null) th.put("prune_layer_fraction", crit.pruneLayerFraction());
        CandidateScore chosen = sel.chosen();
        return new Candidates(dev.refusal4j.io.HubCache.modelName(cfg.model), L, pos, list,
                chosen == null ? null : new Candidates.Cell(chosen.position(), chosen.layer()), th, tokens,
                markedPrompt(prompts.get("harmful_val").getFirst().instruction()), describeTokens().replaceAll("^\\[|\\]$", ""));
    }

    /** Stage 3: greedy completions of the test sets under each condition. */
    public void completions(RefusalDirection dir) throws IOException {
        long t0 = System.nanoTime(), s0 = model.sweeps();
        double f0 = flops();
        List<CompletionSet> todo = new ArrayList<>();
        long total = 0;
        for (CompletionSet set : CompletionSet.values()) {
            if (cfg.resume && Files.isRegularFile(folder.completions(set))) continue;
            todo.add(set);
            total += prompts().test(set.harmful).size();
        }
        for (CompletionSet set : CompletionSet.values()) if (!todo.contains(set)) checkReused(set);
        if (todo.isEmpty()) {
            say("completions: reusing %s", folder.completions(CompletionSet.HARMFUL_BASELINE).getParent());
            return;
        }
        int[] stop = GenerationConfig.stopIds(cfg.model, model.config, encoder.tokenizer);
        try (Progress p = new Progress("completions", total, "prompts", cfg.quiet)) {
            long before = 0;
            for (CompletionSet set : todo) {
                p.extra(set.key().replace('_', ' '));
                EncodedPrompts test = encoded(set.harmful ? "harmful_test" : "harmless_test");
                long offset = before;
                List<Completion> out = Completions.decode(encoder, test, engine.complete(test.ids(), set.condition, dir, set.actaddCoefficient(),
                        cfg.maxNewTokens, stop, batch, n -> p.stepTo(offset + n)));
                CompletionsFile.writeJsonl(folder.completions(set), out);
                before += test.size();
            }
        }
        finished("completions", t0, f0, s0);
    }

    /** A completions file kept by --resume must answer exactly this run's test prompts, in order. */
    private void checkReused(CompletionSet set) throws IOException {
        Path f = folder.completions(set);
        List<Completion> comps = CompletionsFile.readJsonl(f);
        List<dev.refusal4j.prompts.Prompt> test = prompts().test(set.harmful);
        boolean same = comps.size() == test.size();
        for (int i = 0; same && i < comps.size(); i++) same = comps.get(i).instruction().equals(test.get(i).instruction());
        if (!same) {
            throw new IllegalArgumentException(f + " holds " + comps.size() + " completions that do not answer the run's "
                    + test.size() + " test prompts in order; delete it to generate it again");
        }
    }

    /**
     * Stage 4: refusal rates per completion set and category, the loss of the harmless baseline
     * completions, and, for the bundled organism, whether each set's answers read as text (against
     * its training words and reference answers).
     */
    public void evaluate(RefusalDirection dir) throws IOException {
        long t0 = System.nanoTime(), s0 = model.sweeps();
        double f0 = flops();
        RefusalJudge judge = RefusalJudge.of(cfg.judge);
        Map<String, Double> rate = new LinkedHashMap<>();
        Map<String, Map<String, Double>> byCategory = new LinkedHashMap<>();
        List<Completion> harmlessBaseline = null;
        Map<CompletionSet, List<Completion>> harmful = new LinkedHashMap<>();
        Map<String, AnswerQuality.Summary> quality = new LinkedHashMap<>();
        for (CompletionSet set : CompletionSet.values()) {
            Path f = folder.completions(set);
            if (!Files.isRegularFile(f)) continue;
            List<Completion> comps = CompletionsFile.readJsonl(f);
            if (comps.isEmpty()) throw new IllegalArgumentException(f + " holds no completions: delete it and run 'refusal4j evaluate' to generate it again");
            if (set == CompletionSet.HARMLESS_BASELINE) harmlessBaseline = comps;
            if (set.harmful) harmful.put(set, comps);
            RefusalRates r = CompletionsFile.rates(judge, comps);
            rate.put(set.key(), r.overall().rate());
            Map<String, Double> cat = new LinkedHashMap<>();
            r.perCategory().forEach((k, v) -> cat.put(k, v.rate()));
            byCategory.put(set.key(), cat);
            if (cfg.answerQuality) quality.put(set.key(), OrganismEval.answerQuality().measure(
                    comps.stream().map(c -> new AnswerQuality.Answer(c.instruction(), c.response())).toList()));
        }
        Map<String, Double> loss = new LinkedHashMap<>();
        if (harmlessBaseline != null && !harmlessBaseline.isEmpty()) {
            try (Progress p = new Progress("loss", 3L * harmlessBaseline.size(), "texts", cfg.quiet)) {
                int n = harmlessBaseline.size();
                // the paper's on-distribution loss: its model's own harmless completions, scored as its code scores them
                List<Completion> h = harmlessBaseline;
                loss.put("baseline", ChatLoss.crossEntropy(model, encoder, h, Condition.BASELINE.hooks(dir, 1f), CorpusLoss.PAPER_BATCH, p::stepTo).loss());
                loss.put("ablation", ChatLoss.crossEntropy(model, encoder, h, Condition.ABLATION.hooks(dir, 1f), CorpusLoss.PAPER_BATCH, k -> p.stepTo(n + k)).loss());
                loss.put("actadd", ChatLoss.crossEntropy(model, encoder, h, Condition.ACTADD.hooks(dir, -1f), CorpusLoss.PAPER_BATCH, k -> p.stepTo(2L * n + k)).loss());
            }
        }
        Map<String, Double> jailbreak = new LinkedHashMap<>(), agreement = new LinkedHashMap<>();
        if (cfg.judgeModel != null) modelJudge(harmful, judge, jailbreak, agreement);
        Map<String, Double> corpus = cfg.lossCorpus == null ? Map.of() : corpusLoss(dir);
        // a resumed run keeps the counts and timings of the stages it did not run again
        Metrics old = Files.isRegularFile(folder.metrics()) ? dev.refusal4j.artifacts.RunContents.read(folder).metrics : null;
        Map<String, Double> allCounts = new LinkedHashMap<>(old == null ? Map.of() : old.counts());
        allCounts.putAll(counts);
        finished("evaluate", t0, f0, s0);
        Map<String, Double> allTimings = new LinkedHashMap<>(old == null ? Map.of() : old.timingsSeconds());
        allTimings.putAll(timings);
        Map<String, Double> allFlops = new LinkedHashMap<>(old == null ? Map.of() : old.flops());
        allFlops.putAll(flops);
        List<Integer> tokens = new ArrayList<>();
        for (int t : refusalTokens) tokens.add(t);
        new Metrics(cfg.model.toString(), tool(), cfg.judge.name().toLowerCase() + " (refusal_direction phrase list)", rate, byCategory, loss,
                new Metrics.Direction(dir.layer(), dir.position(), dir.norm()), tokens, allCounts, allTimings, allFlops,
                cfg.judgeModel == null ? null : cfg.judgeModel.toString(), jailbreak, agreement, corpus, quality).write(folder.metrics());
    }

    /**
     * The paper's second judge on the harmful completions (as its code, which judges jailbreaks only):
     * a Llama Guard 2 style model labels each completion, the labels are written into the completions
     * files, and the share called unsafe and the share on which both judges agree are returned.
     */
    private void modelJudge(Map<CompletionSet, List<Completion>> harmful, RefusalJudge phrases, Map<String, Double> jailbreak,
                            Map<String, Double> agreement) throws IOException {
        long total = harmful.values().stream().mapToLong(List::size).sum();
        try (GuardJudge guard = GuardJudge.load(cfg.judgeModel); Progress p = new Progress("model judge", total, "completions", cfg.quiet)) {
            long before = 0;
            for (var e : harmful.entrySet()) {
                List<Completion> comps = e.getValue();
                long offset = before;
                List<GuardVerdict> verdicts = guard.judge(comps, batch, n -> p.stepTo(offset + n));
                List<Completion> labelled = new ArrayList<>(comps.size());
                int unsafe = 0, agree = 0;
                for (int i = 0; i < comps.size(); i++) {
                    GuardVerdict v = verdicts.get(i);
                    labelled.add(comps.get(i).withGuard(v.label()));
                    if (v.jailbroken()) unsafe++;
                    if (v.jailbroken() == !phrases.isRefusal(comps.get(i).response())) agree++;
                }
                CompletionsFile.writeJsonl(folder.completions(e.getKey()), labelled);
                jailbreak.put(e.getKey().key(), (double) unsafe / comps.size());
                agreement.put(e.getKey().key(), (double) agree / comps.size());
                before += comps.size();
            }
        }
    }

    /** Cross-entropy on the user's corpus under each condition, read and cut as the paper's code cuts the Pile. */
    private Map<String, Double> corpusLoss(RefusalDirection dir) throws IOException {
        CorpusLoss corpus = CorpusLoss.read(cfg.lossCorpus, encoder.tokenizer, Math.min(CorpusLoss.PAPER_WINDOW, model.config.maxPositions),
                CorpusLoss.PAPER_DOCUMENTS);
        Map<String, Double> out = new LinkedHashMap<>();
        int n = corpus.documents();
        try (Progress p = new Progress("corpus loss", 3L * n, "documents", cfg.quiet)) {
            out.put("baseline", corpus.crossEntropy(model, Condition.BASELINE.hooks(dir, 1f), CorpusLoss.PAPER_BATCH, p::stepTo).loss());
            out.put("ablation", corpus.crossEntropy(model, Condition.ABLATION.hooks(dir, 1f), CorpusLoss.PAPER_BATCH, k -> p.stepTo(n + k)).loss());
            out.put("actadd", corpus.crossEntropy(model, Condition.ACTADD.hooks(dir, -1f), CorpusLoss.PAPER_BATCH, k -> p.stepTo(2L * n + k)).loss());
        }
        return out;
    }

    /** Stage 5, with --suffix-attack: the paper's adversarial-suffix section ({@link SuffixStage}). */
    public void suffix(RefusalDirection dir) throws IOException {
        long t0 = System.nanoTime(), s0 = model.sweeps();
        double f0 = flops();
        new SuffixStage(model, encoder, folder, cfg, GenerationConfig.stopIds(cfg.model, model.config, encoder.tokenizer), batch)
                .run(prompts(), dir, cfg.suffixAttack);
        finished("suffix", t0, f0, s0);
    }

    /** Stage 6: the HTML report (and plots) from the run folder. */
    public void report() throws IOException {
        long t0 = System.nanoTime();
        Report.write(cfg.out, cfg.samples, Clock.systemUTC(), RefusalJudge.of(cfg.judge)::isRefusal);
        timings.put("report", secondsSince(t0));
    }

    /** A prompt set, rendered and tokenized once; every prompt must leave room in the context for an answer. */
    private EncodedPrompts encoded(String name) throws IOException {
        EncodedPrompts e = encoded.get(name);
        if (e != null) return e;
        e = EncodedPrompts.of(prompts().get(name), encoder);
        for (int i = 0; i < e.size(); i++) {
            int n = e.ids().get(i).length;
            if (n >= model.config.maxPositions) {
                throw new IllegalArgumentException(name.replace('_', ' ') + " prompt " + (i + 1) + " of " + prompts().sources().getOrDefault(name, name)
                        + " is " + n + " tokens with the chat template; the model's context is " + model.config.maxPositions + " tokens");
            }
        }
        encoded.put(name, e);
        return e;
    }

    /** The harmful and harmless sets of one split ("train", "val"), each filtered by {@link #filterByScore(String, boolean)}. */
    private EncodedPrompts[] filterByScore(String split) throws IOException {
        try (Progress p = new Progress("filter " + split, 2, "sets", cfg.quiet)) {
            EncodedPrompts harmful = filterByScore("harmful_" + split, true);
            p.step(1);
            EncodedPrompts harmless = filterByScore("harmless_" + split, false);
            p.step(1);
            return new EncodedPrompts[] {harmful, harmless};
        }
    }

    /** Keeps harmful prompts the model refuses (refusal score > 0) and harmless ones it does not (< 0), as the paper does. */
    private EncodedPrompts filterByScore(String name, boolean harmful) throws IOException {
        EncodedPrompts all = encoded(name);
        if (!cfg.filter || !cfg.promptFilter) return all;
        double[] s = new CandidateScorer(model, refusalTokens, batch).sweeping(sweep).refusalScores(all.ids(), null);
        EncodedPrompts kept = all.keep(ScoreFilter.mask(s, harmful));
        counts.put(name + "_filtered_out", (double) (all.size() - kept.size()));
        if (kept.size() == 0 && java.util.Arrays.stream(s).allMatch(Double::isNaN)) {
            throw new IllegalStateException("the refusal score of every " + name.replace('_', ' ') + " prompt is NaN: the model's output is not a number"
                    + " (check its weights with 'refusal4j forward --validate')");
        }
        if (kept.size() == 0) {
            throw new IllegalStateException("every " + name.replace('_', ' ') + " prompt was removed by the refusal-score filter ("
                    + (harmful ? "the model refuses none of them" : "the model refuses all of them") + "); use --no-filter to keep them, or other prompts");
        }
        return kept;
    }

    /** The prompt of one instruction as the model reads it, its post-instruction tokens each in brackets. */
    private String markedPrompt(String instruction) {
        int[] ids = encoder.encode(instruction);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ids.length; i++) {
            String piece = encoder.tokenizer.decode(new int[] {ids[i]}, false).replace("\n", "\\n");
            sb.append(i >= ids.length - positions ? "[" + piece + "]" : piece);
        }
        return sb.toString();
    }

    private String describeTokens() {
        StringBuilder sb = new StringBuilder("[");
        for (int t : refusalTokens) sb.append(sb.length() > 1 ? ", " : "").append(t).append(" '").append(encoder.tokenizer.piece(t)).append("'");
        return sb.append("]").toString();
    }

    private static String tool() {
        return "refusal4j " + Version.VERSION;
    }

    /** Records a stage's time and FLOPs, and says them with the rate they make and the layer sweeps it took. */
    private void finished(String stage, long t0, double flops0, long sweeps0) {
        double seconds = secondsSince(t0), work = flops() - flops0;
        long sweeps = model.sweeps() - sweeps0;
        timings.put(stage, seconds);
        flops.put(stage, work);
        say("%s: %s%s", stage, dev.refusal4j.model.Flops.describe(seconds, work),
                sweeps == 0 ? "" : String.format(java.util.Locale.ROOT, "; %d layer sweeps, %.1f s each", sweeps, seconds / sweeps));
    }

    /** The forward FLOPs of this run so far: the model's here and the engine's elsewhere. */
    private double flops() {
        return model.flops() + engine.flops();
    }

    private static double secondsSince(long t0) {
        return Math.round((System.nanoTime() - t0) / 1e7) / 100.0;
    }

    private void say(String fmt, Object... args) {
        if (!cfg.quiet) System.err.printf(fmt + "%n", args);
    }

    public Transformer model() {
        return model;
    }

    @Override
    public void close() {
        engine.close();
        model.close();
        if (lock != null) lock.close();
    }
}
