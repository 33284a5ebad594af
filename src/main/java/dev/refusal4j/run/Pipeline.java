package dev.refusal4j.run;

import dev.refusal4j.Progress;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refusal4j.chat.PromptEncoder;
import dev.refusal4j.Version;
import dev.refusal4j.prompts.Prompt;
import dev.refusal4j.select.CandidateScorer;
import dev.refusal4j.extract.MeanActivations;
import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.select.CandidateScore;
import dev.refusal4j.select.DirectionSelector;
import dev.refusal4j.select.Filter;
import dev.refusal4j.select.ScoreFilter;
import dev.refusal4j.select.Selection;
import dev.refusal4j.select.SelectionCriteria;
import dev.refusal4j.evaluate.Completion;
import dev.refusal4j.evaluate.CompletionsFile;
import dev.refusal4j.evaluate.RefusalJudge;
import dev.refusal4j.evaluate.RefusalRates;
import dev.refusal4j.generate.GenerationConfig;
import dev.refusal4j.generate.Generator;
import dev.refusal4j.generate.SamplingOptions;
import dev.refusal4j.intervene.Interventions;
import dev.refusal4j.io.ModelFormatException;
import dev.refusal4j.io.SafetensorsFile;
import dev.refusal4j.io.SafetensorsWriter;
import dev.refusal4j.io.TensorInfo;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tensor.DType;
import dev.refusal4j.tensor.Matrix;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The paper's pipeline on one model: candidate directions from difference in means, selection by
 * bypass / induce / KL scores, completions under ablation and activation addition, evaluation,
 * report. Every stage writes its artifacts into the run folder and, with {@code resume}, a stage
 * whose artifacts exist is not run again.
 */
public final class Pipeline implements AutoCloseable {
    public static final String[] HARMFUL_CONDITIONS = {"baseline", "ablation", "actadd"};
    public static final String[] HARMLESS_CONDITIONS = {"baseline", "actadd"};

    private final RunConfig cfg;
    private final Artifacts art;
    private final Transformer model;
    private final PromptEncoder encoder;
    private final int batch;
    private final int[] refusalTokens;
    private final int positions;          // post-instruction tokens: positions -positions..-1
    private final Map<String, Double> timings = new LinkedHashMap<>();
    private final Map<String, Integer> counts = new LinkedHashMap<>();
    private Datasets data;

    public Pipeline(RunConfig cfg) throws IOException {
        this.cfg = cfg;
        this.art = new Artifacts(cfg.out);
        long t0 = System.nanoTime();
        this.model = Transformer.load(cfg.model);
        try {
            this.encoder = PromptEncoder.load(cfg.model, cfg.template, cfg.system);
            this.refusalTokens = cfg.refusalTokens != null ? cfg.refusalTokens : encoder.refusalTokens();
            for (int t : refusalTokens) {
                if (t < 0 || t >= model.config.vocab) throw new IllegalArgumentException("refusal token " + t + " is outside the vocabulary of " + model.config.vocab);
            }
            this.positions = encoder.postInstructionTokens();
            this.batch = cfg.batchSize > 0 ? cfg.batchSize : BatchSize.auto(model.config, 160);
        } catch (RuntimeException | IOException e) {
            model.close();
            throw e;
        }
        timings.put("load", secondsSince(t0));
    }

    private static double secondsSince(long t0) {
        return Math.round((System.nanoTime() - t0) / 1e7) / 100.0;
    }

    private void say(String fmt, Object... args) {
        if (!cfg.quiet) System.err.printf(fmt + "%n", args);
    }

    /** Runs every stage (skipping finished ones with resume) and returns the run folder. */
    public Path runAll() throws IOException {
        prepareOutput();
        say("model %s: %s; refusal tokens %s; %d post-instruction positions; batch %d", cfg.model, model.config,
                describeTokens(), positions, batch);
        float[][][] candidates = directions();
        RefusalDirection dir;
        try {
            dir = select(candidates);
        } catch (RuntimeException e) {
            // the candidate scores are worth seeing: report what exists, then fail
            try {
                report();
                System.err.println("partial report: " + art.report());
            } catch (IOException | RuntimeException ignored) {
                // the original error matters more
            }
            throw e;
        }
        completions(dir);
        evaluate(dir);
        report();
        return cfg.out;
    }

    private String describeTokens() {
        StringBuilder sb = new StringBuilder("[");
        for (int t : refusalTokens) sb.append(sb.length() > 1 ? ", " : "").append(t).append(" '").append(encoder.tokenizer.piece(t)).append("'");
        return sb.append("]").toString();
    }

    /** Refuses to mix a new run into an old folder unless asked to resume or overwrite. */
    public void prepareOutput() throws IOException {
        if (Files.isDirectory(cfg.out) && !cfg.resume && !cfg.force) {
            try (var s = Files.list(cfg.out)) {
                if (s.findAny().isPresent()) {
                    throw new IllegalArgumentException(cfg.out + " already holds a run: pass --resume to continue it or --force to overwrite it");
                }
            }
        }
        Files.createDirectories(cfg.out);
        datasets();
    }

    /** The prompt sets, chosen once and saved in the run folder (a resumed run reuses them). */
    public Datasets datasets() throws IOException {
        if (data != null) return data;
        if (cfg.resume && Files.isRegularFile(art.prompts().resolve("harmless_test.json"))) {
            data = Datasets.read(art.prompts());
        } else {
            data = Datasets.choose(cfg);
            data.write(art.prompts());
        }
        for (String n : Datasets.NAMES) counts.put(n, data.get(n).size());
        return data;
    }

    private List<int[]> encode(List<Prompt> prompts) {
        List<int[]> out = new ArrayList<>(prompts.size());
        for (Prompt p : prompts) out.add(encoder.encode(p.instruction()));
        return out;
    }

    private double[] scores(List<int[]> ids, Supplier<Hooks> hooks) {
        return new CandidateScorer(model, refusalTokens, batch).refusalScores(ids, hooks);
    }

    /** Keeps harmful prompts the model refuses (score > 0) and harmless ones it does not (< 0). */
    private List<Prompt> filterByScore(String name, List<Prompt> prompts, boolean harmful) {
        if (!cfg.filter || !cfg.promptFilter) return prompts;
        double[] s = scores(encode(prompts), null);
        List<Prompt> kept = harmful ? ScoreFilter.keepHarmful(prompts, s) : ScoreFilter.keepHarmless(prompts, s);
        counts.put(name + "_filtered_out", prompts.size() - kept.size());
        if (kept.isEmpty()) {
            throw new IllegalStateException("every " + name.replace('_', ' ') + " prompt was removed by the refusal-score filter ("
                    + (harmful ? "the model refuses none of them" : "the model refuses all of them") + "); use --no-filter to keep them, or other prompts");
        }
        return kept;
    }

    /** Stage 1: mean resid_pre differences at every layer and post-instruction position. */
    public float[][][] directions() throws IOException {
        if (cfg.resume && Files.isRegularFile(art.meanDiffs())) {
            say("directions: reusing %s", art.meanDiffs());
            return readMeanDiffs(art.meanDiffs());
        }
        long t0 = System.nanoTime();
        Datasets d = datasets();
        List<Prompt> harmful, harmless;
        try (Progress p = new Progress("filter train", 2, "sets", cfg.quiet)) {
            harmful = filterByScore("harmful_train", d.harmfulTrain(), true);
            p.step(1);
            harmless = filterByScore("harmless_train", d.harmlessTrain(), false);
            p.step(1);
        }
        double[][][] mh, ml;
        try (Progress p = new Progress("mean activations", harmful.size() + harmless.size(), "prompts", cfg.quiet)) {
            mh = MeanActivations.residPre(model, encode(harmful), positions, batch, p::stepTo);
            ml = MeanActivations.residPre(model, encode(harmless), positions, batch, n -> p.stepTo(harmful.size() + n));
        }
        float[][][] diffs = MeanActivations.difference(mh, ml);
        writeMeanDiffs(art.meanDiffs(), diffs);
        timings.put("directions", secondsSince(t0));
        return diffs;
    }

    private void writeMeanDiffs(Path file, float[][][] diffs) throws IOException {
        int P = diffs.length, L = diffs[0].length, d = diffs[0][0].length;
        float[] flat = new float[P * L * d];
        for (int p = 0; p < P; p++) for (int l = 0; l < L; l++) System.arraycopy(diffs[p][l], 0, flat, (p * L + l) * d, d);
        SafetensorsWriter.write(file, List.of(SafetensorsWriter.f32("mean_diffs", flat, P, L, d)),
                Map.of("positions", Integer.toString(P), "first_position", Integer.toString(-P), "model", cfg.model.toString()));
    }

    static float[][][] readMeanDiffs(Path file) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile f = SafetensorsFile.open(file, arena);
            TensorInfo t = f.tensors().get("mean_diffs");
            if (t == null || t.shape().length != 3 || !t.dtype().equals("F32")) throw new ModelFormatException(file, "expected an F32 tensor 'mean_diffs' [positions, layers, d]");
            int P = (int) t.shape()[0], L = (int) t.shape()[1], d = (int) t.shape()[2];
            float[] flat = new Matrix(f.segment(t), DType.F32, P * L, d).toFloats();
            float[][][] out = new float[P][L][d];
            for (int p = 0; p < P; p++) for (int l = 0; l < L; l++) System.arraycopy(flat, (p * L + l) * d, out[p][l], 0, d);
            return out;
        }
    }

    /** Stage 2: score every candidate on the validation sets and pick one the paper's way. */
    public RefusalDirection select(float[][][] candidates) throws IOException {
        if (cfg.resume && Files.isRegularFile(art.direction()) && Files.isRegularFile(art.candidates())) {
            say("select: reusing %s", art.direction());
            return RefusalDirection.read(art.direction());
        }
        long t0 = System.nanoTime();
        Datasets d = datasets();
        List<Prompt> hv, lv;
        try (Progress p = new Progress("filter val", 2, "sets", cfg.quiet)) {
            hv = filterByScore("harmful_val", d.harmfulVal(), true);
            p.step(1);
            lv = filterByScore("harmless_val", d.harmlessVal(), false);
            p.step(1);
        }
        int P = candidates.length, L = candidates[0].length;
        CandidateScorer.Scores s;
        try (Progress p = new Progress("score candidates", (long) P * L, "dirs", cfg.quiet)) {
            s = new CandidateScorer(model, refusalTokens, batch).score(candidates, encode(hv), encode(lv), (pos, layer) -> p.step(1));
        }
        List<CandidateScore> all = new ArrayList<>();
        for (int p = 0; p < P; p++) for (int l = 0; l < L; l++) all.add(new CandidateScore(p - P, l, s.bypass()[p][l], s.induce()[p][l], s.kl()[p][l]));
        SelectionCriteria crit = cfg.criteria();
        Selection sel;
        try {
            sel = DirectionSelector.select(all, L, crit);
        } catch (RuntimeException e) {
            writeCandidates(all, crit, null); // the scores are kept for inspection and for the report
            throw e;
        }
        writeCandidates(all, crit, sel.chosen());
        CandidateScore c = sel.chosen();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("model", cfg.model.toString());
        meta.put("bypass_score", Double.toString(c.bypass()));
        meta.put("induce_score", Double.toString(c.induce()));
        meta.put("kl_score", Double.toString(c.kl()));
        meta.put("tool", "refusal4j " + Version.VERSION);
        RefusalDirection dir = new RefusalDirection(candidates[c.position() + P][c.layer()], c.layer(), c.position(), meta);
        dir.write(art.direction());
        ObjectNode j = Artifacts.JSON.createObjectNode();
        j.put("layer", dir.layer()).put("position", dir.position()).put("norm", dir.norm()).put("dims", dir.vector().length)
                .put("model", cfg.model.toString()).put("tool", "refusal4j " + Version.VERSION)
                .put("bypass_score", c.bypass()).put("induce_score", c.induce()).put("kl_score", c.kl());
        Artifacts.writeJson(art.directionJson(), j);
        timings.put("select", secondsSince(t0));
        say("selected layer %d, position %d (bypass %.3f, induce %.3f, KL %.4f)", c.layer(), c.position(), c.bypass(), c.induce(), c.kl());
        return dir;
    }

    private void writeCandidates(List<CandidateScore> all, SelectionCriteria crit, CandidateScore chosen) throws IOException {
        int L = model.config.layers, P = positions;
        ObjectNode root = Artifacts.JSON.createObjectNode();
        root.put("model", cfg.model.getFileName().toString());
        root.put("num_layers", L);
        ArrayNode pos = root.putArray("positions");
        for (int p = -P; p < 0; p++) pos.add(p);
        // the template token at each post-instruction position, for people reading the heatmaps
        int[] suffix = encoder.tokenizer.encode(encoder.postInstructionText(), false);
        ObjectNode tokens = root.putObject("position_tokens");
        for (int p = -P; p < 0; p++) tokens.put(Integer.toString(p), encoder.tokenizer.decode(new int[] {suffix[suffix.length + p]}, false));
        ArrayNode arr = root.putArray("candidates");
        for (CandidateScore c : all) {
            ObjectNode o = arr.addObject();
            o.put("position", c.position()).put("layer", c.layer());
            putScore(o, "bypass_score", c.bypass());
            putScore(o, "induce_score", c.induce());
            putScore(o, "kl_score", c.kl());
            Filter f = Filter.firstFailing(c, L, crit);
            if (f == null) o.putNull("filtered");
            else o.put("filtered", switch (f) {
                case NAN -> "nan";
                case LAYER -> "layer >= " + crit.firstPrunedLayer(L);
                case KL -> "kl > " + crit.klThreshold();
                case INDUCE -> "induce < " + crit.induceThreshold();
            });
        }
        if (chosen != null) root.putObject("selected").put("position", chosen.position()).put("layer", chosen.layer());
        ObjectNode th = root.putObject("thresholds");
        if (crit.klThreshold() != null) th.put("kl", crit.klThreshold());
        if (crit.induceThreshold() != null) th.put("induce", crit.induceThreshold());
        if (crit.pruneLayerFraction() != null) th.put("prune_layer_fraction", crit.pruneLayerFraction());
        Artifacts.writeJson(art.candidates(), root);
    }

    private static void putScore(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) o.put(key, v);
        else o.putNull(key);
    }

    /** Hooks of a condition, fresh for every forward call. */
    private Supplier<Hooks> hooksFor(String condition, RefusalDirection dir, float coeff) {
        return switch (condition) {
            case "baseline" -> () -> null;
            case "ablation" -> {
                float[] unit = dir.unit();
                yield () -> Interventions.ablate(new Hooks(), unit);
            }
            case "actadd" -> () -> Interventions.add(new Hooks(), dir.vector(), coeff, dir.layer());
            default -> throw new IllegalArgumentException(condition);
        };
    }

    /** Stage 3: greedy completions of the test sets under each condition. */
    public void completions(RefusalDirection dir) throws IOException {
        long t0 = System.nanoTime();
        Datasets d = datasets();
        List<String[]> jobs = new ArrayList<>();
        for (String c : HARMFUL_CONDITIONS) jobs.add(new String[] {"harmful", c});
        for (String c : HARMLESS_CONDITIONS) jobs.add(new String[] {"harmless", c});
        long total = 0;
        for (String[] j : jobs) if (!(cfg.resume && Files.isRegularFile(art.completions(j[0], j[1])))) total += (j[0].equals("harmful") ? d.harmfulTest() : d.harmlessTest()).size();
        if (total == 0) {
            say("completions: reusing %s", art.completions("harmful", "baseline").getParent());
            return;
        }
        try (Progress p = new Progress("completions", total, "prompts", cfg.quiet)) {
            for (String[] j : jobs) {
                Path file = art.completions(j[0], j[1]);
                if (cfg.resume && Files.isRegularFile(file)) continue;
                List<Prompt> prompts = j[0].equals("harmful") ? d.harmfulTest() : d.harmlessTest();
                // the paper: harmful actadd subtracts r (coefficient −1), harmless actadd adds it (+1)
                float coeff = j[0].equals("harmful") ? -1f : 1f;
                p.extra(j[0] + " " + j[1]);
                List<Completion> out = generate(prompts, hooksFor(j[1], dir, coeff), p);
                CompletionsFile.writeJsonl(file, out);
            }
        }
        timings.put("completions", secondsSince(t0));
    }

    private List<Completion> generate(List<Prompt> prompts, Supplier<Hooks> hooks, Progress p) throws IOException {
        int[] stop = GenerationConfig.stopIds(cfg.model, model.config, encoder.tokenizer);
        Generator g = new Generator(model);
        Completion[] out = new Completion[prompts.size()];
        List<int[]> ids = encode(prompts);
        for (var b : dev.refusal4j.model.Batches.of(ids, batch).batches()) {
            List<int[]> chunk = new ArrayList<>();
            for (int i : b.indices()) chunk.add(ids.get(i));
            int maxNew = Math.min(cfg.maxNewTokens, model.config.maxPositions - b.slots());
            // one Hooks instance for the whole generation of this batch (prefill and every decode step)
            List<int[]> gen = g.generate(chunk, maxNew, stop, SamplingOptions.GREEDY, hooks.get(), null);
            for (int j = 0; j < b.size(); j++) {
                Prompt pr = prompts.get(b.indices()[j]);
                out[b.indices()[j]] = new Completion(pr.instruction(), pr.category(), encoder.tokenizer.decode(gen.get(j), true));
            }
            p.step(b.size());
        }
        return List.of(out);
    }

    /** Stage 4: refusal rates per condition and category, and the loss of the harmless completions. */
    public void evaluate(RefusalDirection dir) throws IOException {
        long t0 = System.nanoTime();
        RefusalJudge judge = RefusalJudge.of(cfg.judge);
        ObjectNode m = Artifacts.JSON.createObjectNode();
        m.put("model", cfg.model.toString());
        m.put("tool", "refusal4j " + Version.VERSION);
        m.put("judge", cfg.judge.name().toLowerCase() + " (refusal_direction phrase list)");
        ObjectNode rate = m.putObject("refusal_rate"), byCat = m.putObject("refusal_rate_by_category");
        Map<String, List<Completion>> all = new LinkedHashMap<>();
        for (String set : new String[] {"harmful", "harmless"}) {
            for (String c : set.equals("harmful") ? HARMFUL_CONDITIONS : HARMLESS_CONDITIONS) {
                Path f = art.completions(set, c);
                if (!Files.isRegularFile(f)) continue;
                List<Completion> comps = CompletionsFile.readJsonl(f);
                all.put(set + "_" + c, comps);
                RefusalRates r = CompletionsFile.rates(judge, comps);
                rate.put(set + "_" + c, r.overall().rate());
                ObjectNode cat = byCat.putObject(set + "_" + c);
                r.perCategory().forEach((k, v) -> cat.put(k, v.rate()));
            }
        }
        ObjectNode loss = m.putObject("loss");
        List<Completion> harmlessBase = all.get("harmless_baseline");
        if (harmlessBase != null && !harmlessBase.isEmpty()) {
            try (Progress p = new Progress("loss", 3L * harmlessBase.size(), "texts", cfg.quiet)) {
                loss.put("baseline", crossEntropy(harmlessBase, hooksFor("baseline", dir, 1f), p));
                loss.put("ablation", crossEntropy(harmlessBase, hooksFor("ablation", dir, 1f), p));
                loss.put("actadd", crossEntropy(harmlessBase, hooksFor("actadd", dir, -1f), p));
            }
        }
        ObjectNode dj = m.putObject("direction");
        dj.put("layer", dir.layer()).put("position", dir.position()).put("norm", dir.norm());
        ArrayNode rt = m.putArray("refusal_tokens");
        for (int t : refusalTokens) rt.add(t);
        JsonNode old = Files.isRegularFile(art.metrics()) ? Artifacts.readJson(art.metrics()) : null;
        ObjectNode cn = m.putObject("counts");
        if (old != null && old.has("counts")) old.get("counts").fields().forEachRemaining(e -> cn.set(e.getKey(), e.getValue()));
        counts.forEach(cn::put);
        timings.put("evaluate", secondsSince(t0));
        ObjectNode tn = m.putObject("timings_seconds");
        if (old != null && old.has("timings_seconds")) old.get("timings_seconds").fields().forEachRemaining(e -> tn.set(e.getKey(), e.getValue()));
        timings.forEach(tn::put);
        Artifacts.writeJson(art.metrics(), m);
        say("refusal rates: %s", rate);
    }

    /**
     * Mean cross-entropy of the response tokens of (prompt, response) pairs under the hooks: how well
     * the model still predicts its own unmodified harmless answers.
     */
    private double crossEntropy(List<Completion> comps, Supplier<Hooks> hooks, Progress p) {
        double sum = 0;
        long n = 0;
        int V = model.config.vocab;
        for (Completion c : comps) {
            int[] prompt = encoder.encode(c.instruction());
            int[] resp = encoder.tokenizer.encode(c.response(), false);
            p.step(1);
            if (resp.length == 0) continue;
            int T = Math.min(prompt.length + resp.length, model.config.maxPositions);
            int[] ids = new int[T];
            System.arraycopy(prompt, 0, ids, 0, Math.min(prompt.length, T));
            if (T > prompt.length) System.arraycopy(resp, 0, ids, prompt.length, T - prompt.length);
            float[] logits = model.forward(new int[][] {ids}, null, null, hooks.get(), Transformer.Logits.ALL);
            for (int t = prompt.length - 1; t < T - 1; t++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int v = 0; v < V; v++) max = Math.max(max, logits[t * V + v]);
                double z = 0;
                for (int v = 0; v < V; v++) z += Math.exp(logits[t * V + v] - max);
                sum += Math.log(z) + max - logits[t * V + ids[t + 1]];
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** Stage 5: the HTML report (and plots) from the artifacts. */
    public void report() throws IOException {
        long t0 = System.nanoTime();
        dev.refusal4j.report.Report.write(cfg.out, cfg.samples, java.time.Clock.systemUTC(), RefusalJudge.of(cfg.judge)::isRefusal);
        timings.put("report", secondsSince(t0));
    }

    public Transformer model() {
        return model;
    }

    @Override
    public void close() {
        model.close();
    }
}
