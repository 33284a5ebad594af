package dev.refusal4j.optimize;

import dev.refusal4j.artifacts.FrontFile;
import dev.refusal4j.chat.PromptEncoder;
import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.evaluate.RefusalJudge;
import dev.refusal4j.extract.MeanActivations;
import dev.refusal4j.generate.GenerationConfig;
import dev.refusal4j.intervene.Condition;
import dev.refusal4j.io.ModelFiles;
import dev.refusal4j.io.SafetensorsFile;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.prompts.EncodedPrompts;
import dev.refusal4j.prompts.RunPrompts;
import dev.refusal4j.select.CandidateScore;
import dev.refusal4j.select.CandidateScorer;
import dev.refusal4j.select.DirectionSelector;
import dev.refusal4j.select.NoCandidateLeftException;
import dev.refusal4j.select.ScoreFilter;
import dev.refusal4j.select.SelectionCriteria;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything a search needs from one model, computed once: the prompt sets (as {@code refusal4j run}
 * draws them: same sizes and seed give the same prompts), the directions from the training prompts
 * the model refuses / answers (the paper's filter), the objectives on the validation prompts, and
 * the paper's own direction (its selection on the filtered validation prompts) as the reference.
 */
public final class Study implements AutoCloseable {
    /** What decides a search's numbers besides the model. */
    public record Settings(Path model, long seed, int startup, int maxNewTokens, int batch, int nTrain, int nVal, int nTest, long promptSeed) {
        public Settings {
            if (maxNewTokens < 1) throw new IllegalArgumentException("--max-new-tokens must be at least 1, got " + maxNewTokens);
            if (startup < 1) throw new IllegalArgumentException("--startup-trials must be at least 1, got " + startup);
            if (batch < 1) throw new IllegalArgumentException("--batch-size must be at least 1, got " + batch);
        }

        Map<String, String> journalKeys() {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("seed", Long.toString(seed));
            m.put("startup_trials", Integer.toString(startup));
            m.put("max_new_tokens", Integer.toString(maxNewTokens));
            m.put("n_train", Integer.toString(nTrain));
            m.put("n_val", Integer.toString(nVal));
            m.put("n_test", Integer.toString(nTest));
            m.put("prompt_seed", Long.toString(promptSeed));
            return m;
        }
    }

    public final Settings settings;
    public final Transformer model;
    public final PromptEncoder encoder;
    public final RunPrompts prompts;
    public final SearchSpace space;
    public final int[] stop;
    private LayerDirections directions;
    private EncodedPrompts[] train, val;
    private FrontFile.Reference paper;
    private int paperTestTokens;
    private RefusalDirection paperDirection;

    public Study(Settings s) throws IOException {
        this.settings = s;
        this.model = Transformer.load(s.model());
        try {
            this.encoder = PromptEncoder.load(s.model(), null, null, PromptEncoder.Format.PAPER, model.config.architecture);
            this.prompts = RunPrompts.choose(s.model(), new RunPrompts.Request(null, null, null, null, null, null, s.nTrain(), s.nVal(), s.nTest(), s.promptSeed()));
            this.space = new SearchSpace(model.config.layers);
            this.stop = GenerationConfig.stopIds(s.model(), model.config, encoder.tokenizer);
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    public Journal.Header header() throws IOException {
        return new Journal.Header(s(settings.model()), fingerprint(settings.model()), settings.journalKeys());
    }

    private static String s(Path p) {
        return p.toAbsolutePath().normalize().toString();
    }

    /** The directions, from the training prompts the paper's filter keeps. */
    public LayerDirections directions() {
        if (directions == null) {
            EncodedPrompts[] t = train();
            directions = new LayerDirections(LastActivations.residPre(model, t[0].ids(), settings.batch()), LastActivations.residPre(model, t[1].ids(), settings.batch()));
        }
        return directions;
    }

    private EncodedPrompts[] train() {
        if (train == null) train = new EncodedPrompts[] {filtered("harmful_train", true), filtered("harmless_train", false)};
        return train;
    }

    /**
     * The search's objectives: on the validation prompts the model refuses (harmful) and answers
     * (harmless), the paper's filter. A harmless prompt the model refuses would count its own
     * un-refusal as damage: the paper's KL score leaves it out for the same reason.
     */
    public Objectives objectives() {
        if (val == null) val = new EncodedPrompts[] {filtered("harmful_val", true), filtered("harmless_val", false)};
        return new Objectives(model, encoder, val[0], val[1], settings.maxNewTokens(), stop, settings.batch(), RefusalJudge.official());
    }

    /**
     * Objectives on the held-out test prompts, answers of up to {@code maxNewTokens} tokens: the
     * refusal rate over every harmful test prompt (as {@code run} evaluates it), KL over the
     * harmless test prompts the model answers (as {@link #objectives}).
     */
    public Objectives testObjectives(int maxNewTokens) {
        return new Objectives(model, encoder, encoded("harmful_test"), filtered("harmless_test", false), maxNewTokens, stop, settings.batch(),
                RefusalJudge.official());
    }

    /**
     * The paper's direction with its full ablation measured on the validation and test prompts as
     * the trials are; computed once per test length.
     *
     * @throws dev.refusal4j.select.NoCandidateLeftException when the paper's selection filters every candidate
     */
    public FrontFile.Reference paper(int testTokens) {
        if (paper == null || paperTestTokens != testTokens) {
            RefusalDirection dir = paperDirection();
            Objectives.Result v = objectives().evaluate(Condition.ABLATION.hooks(dir, 1f), Objectives.Hopeless.NEVER);
            Objectives.Result t = testObjectives(testTokens).evaluate(Condition.ABLATION.hooks(dir, 1f), Objectives.Hopeless.NEVER);
            paper = new FrontFile.Reference(dir.layer(), dir.position(), new FrontFile.Measure(v.refusalRate(), v.kl()), new FrontFile.Measure(t.refusalRate(), t.kl()));
            paperTestTokens = testTokens;
        }
        return paper;
    }

    /**
     * The points a search evaluates before its sampler proposes any: the paper's edit
     * ({@link SearchSpace#paperPoint} at the layer of {@link #paperDirection}). The front then
     * holds the method the search is to beat from the first trial, and the sampler's good group
     * reaches the low-refusal end at once instead of waiting for a random trial to get there: on
     * the organism, of the ten random start-up trials of seeds 1–5, one refused as little as the
     * paper's edit, and three of the five searches first did so after trial 35. None where the
     * paper's selection finds no direction.
     */
    public List<Map<String, Double>> startPoints() {
        try {
            return List.of(space.paperPoint(paperDirection().layer()));
        } catch (NoCandidateLeftException e) {
            return List.of();
        }
    }

    /** The paper's direction: every post-instruction position and layer scored on the filtered validation prompts, selected with its filters (computed once). */
    public RefusalDirection paperDirection() {
        if (paperDirection == null) paperDirection = selectPaperDirection();
        return paperDirection;
    }

    private RefusalDirection selectPaperDirection() {
        EncodedPrompts[] t = train();
        int positions = encoder.postInstructionTokens();
        float[][][] r = MeanActivations.difference(MeanActivations.residPre(model, t[0].ids(), positions, settings.batch(), null),
                MeanActivations.residPre(model, t[1].ids(), positions, settings.batch(), null));
        objectives();
        List<CandidateScore> all = new CandidateScorer(model, encoder.refusalTokens(), settings.batch())
                .score(r, val[0].ids(), val[1].ids(), SelectionCriteria.PAPER, n -> {}).list();
        CandidateScore c = DirectionSelector.judge(all, model.config.layers, SelectionCriteria.PAPER).chosenOrThrow();
        return new RefusalDirection(r[c.position() + positions][c.layer()], c.layer(), c.position(), Map.of());
    }

    private EncodedPrompts encoded(String name) {
        return EncodedPrompts.of(prompts.get(name), encoder);
    }

    private EncodedPrompts filtered(String name, boolean harmful) {
        EncodedPrompts all = encoded(name);
        double[] s = new CandidateScorer(model, encoder.refusalTokens(), settings.batch()).refusalScores(all.ids(), null);
        EncodedPrompts kept = all.keep(ScoreFilter.mask(s, harmful));
        return kept.size() == 0 ? all : kept;   // a model that refuses none (or all): the unfiltered set, as --no-filter
    }

    /**
     * SHA-256 of config.json and every safetensors header with its file size: another model, or
     * the same one re-saved with other weights, gets another fingerprint, in milliseconds.
     */
    public static String fingerprint(Path modelDir) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(Files.readAllBytes(modelDir.resolve("config.json")));
            try (ModelFiles f = ModelFiles.open(modelDir)) {
                for (SafetensorsFile sf : f.files()) {
                    md.update(sf.path.getFileName().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    md.update(Long.toString(Files.size(sf.path)).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    try (var in = Files.newInputStream(sf.path)) {
                        md.update(in.readNBytes((int) Math.min(sf.dataStart + 4096, Files.size(sf.path))));
                    }
                }
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        model.close();
    }
}
