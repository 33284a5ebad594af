package dev.refusal4j.run;

import dev.refusal4j.artifacts.RunSettings;
import dev.refusal4j.chat.PromptEncoder;
import dev.refusal4j.prompts.RunPrompts;
import dev.refusal4j.select.SelectionCriteria;
import dev.refusal4j.evaluate.JudgeRule;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every setting of one run; the defaults are the paper code's configuration (pipeline/config.py:
 * 128 / 32 / 100 prompts, seed 42, both prompt filters, KL 0.1, induce 0, the last 20% of layers
 * pruned, 512-token completions, its prompt format and refusal tokens for its model families).
 * README's "Differences from the paper" lists where a run deliberately departs from it.
 */
public final class RunConfig {
    public Path model;
    public Path out;
    public Path harmfulTrain, harmlessTrain, harmfulVal, harmlessVal, harmfulTest, harmlessTest;
    public int nTrain = 128;
    public int nVal = 32;
    public int nTest = 100;
    public long seed = 42;
    /** 0 = choose from the available memory. */
    public int batchSize = 0;
    public int maxNewTokens = 512;
    /** Filter train/val prompts by the base model's refusal score and candidates by the thresholds. */
    public boolean filter = true;
    /** Filter only the train/val prompts by refusal score (the thresholds stay unless filter is off). */
    public boolean promptFilter = true;
    public Double klThreshold = 0.1;
    public Double induceThreshold = 0.0;
    public Double pruneLayerFraction = 0.2;
    /**
     * Score every candidate fully: the complete heatmaps. Otherwise a candidate is scored only until
     * a filter removes it (the pruned layers not at all); the selection is the same either way.
     */
    public boolean scoreAll;
    /** null = derived from the tokenizer (first token of "I" and "As"). */
    public int[] refusalTokens;
    public String system;
    /** The paper code's prompt format for its model families, or the model's own template. */
    public PromptEncoder.Format promptFormat = PromptEncoder.Format.PAPER;
    public Path template;
    public JudgeRule judge = JudgeRule.SUBSTRING;
    public boolean resume;
    public boolean force;
    public boolean quiet;
    /** Completions shown side by side in the report. */
    public int samples = 8;
    /** A Llama Guard 2 style model that judges the harmful completions beside the phrase judge (null: none). */
    public Path judgeModel;
    /** A text corpus whose cross-entropy is measured under each condition (null: none). */
    public Path lossCorpus;
    /** When set, an abliterated copy of the model is written here at the end. */
    public Path export;
    /**
     * Measure whether the answers read as text ({@code answer_quality} in metrics.json): its known
     * words and reference answers are the bundled organism's, so only for the organism.
     */
    public boolean answerQuality;
    /**
     * A Spark master URL: stages 1-3 (activations, candidate scoring, completions) run on its
     * executors (the Spark module); null: in this process. Not in run.json: the results are the same.
     */
    public String spark;
    /** --memory-limit in bytes (null: the cgroup's limit, else the machine's memory); a larger model is swept layer by layer. */
    public Long memoryLimit;
    /** Where the Spark executors find the model (null: at {@link #model}, absolute). */
    public java.nio.file.Path sparkModel;
    /** With {@code run --suffix-attack}: the suffix stage's options; null: no suffix stage. Not in run.json: it leaves the other stages as they are. */
    public SuffixStage.Options suffixAttack;

    public RunPrompts.Request prompts() {
        return new RunPrompts.Request(harmfulTrain, harmlessTrain, harmfulVal, harmlessVal, harmfulTest, harmlessTest, nTrain, nVal, nTest, seed);
    }

    /** Rejects settings that cannot give a meaningful run, naming the option. */
    public void validate() {
        positive("--n-train", nTrain);
        positive("--n-val", nVal);
        positive("--n-test", nTest);
        positive("--max-new-tokens", maxNewTokens);
        if (batchSize < 0) throw new IllegalArgumentException("--batch-size must be positive or 'auto', got " + batchSize);
        if (samples < 0) throw new IllegalArgumentException("--samples must not be negative, got " + samples);
        if (klThreshold != null && !Double.isFinite(klThreshold)) throw new IllegalArgumentException("--kl-threshold must be a finite number, got " + klThreshold);
        if (induceThreshold != null && !Double.isFinite(induceThreshold)) throw new IllegalArgumentException("--induce-threshold must be a finite number, got " + induceThreshold);
        if (pruneLayerFraction != null && !(pruneLayerFraction >= 0 && pruneLayerFraction <= 1)) {
            throw new IllegalArgumentException("--prune-layer-fraction must be within [0, 1], got " + pruneLayerFraction);
        }
        if (refusalTokens != null && refusalTokens.length == 0) throw new IllegalArgumentException("--refusal-tokens needs at least one token id");
    }

    private static void positive(String option, int v) {
        if (v < 1) throw new IllegalArgumentException(option + " must be at least 1, got " + v);
    }

    /** The options that decide the results, as the command line names them (recorded in run.json). */
    public RunSettings settings() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("--model", model.toAbsolutePath().normalize().toString());
        m.put("--harmful-train", file(harmfulTrain));
        m.put("--harmless-train", file(harmlessTrain));
        m.put("--harmful-val", file(harmfulVal));
        m.put("--harmless-val", file(harmlessVal));
        m.put("--harmful-test", file(harmfulTest));
        m.put("--harmless-test", file(harmlessTest));
        m.put("--n-train", Integer.toString(nTrain));
        m.put("--n-val", Integer.toString(nVal));
        m.put("--n-test", Integer.toString(nTest));
        m.put("--seed", Long.toString(seed));
        m.put("--max-new-tokens", Integer.toString(maxNewTokens));
        m.put("--no-filter", Boolean.toString(!filter));
        m.put("--no-prompt-filter", Boolean.toString(!promptFilter));
        m.put("--kl-threshold", String.valueOf(klThreshold));
        m.put("--induce-threshold", String.valueOf(induceThreshold));
        m.put("--prune-layer-fraction", String.valueOf(pruneLayerFraction));
        m.put("--score-all", Boolean.toString(scoreAll));
        m.put("--refusal-tokens", refusalTokens == null ? null : Arrays.toString(refusalTokens));
        m.put("--prompt-format", promptFormat.name().toLowerCase(java.util.Locale.ROOT));
        m.put("--system-prompt", system);
        m.put("--template", file(template));
        m.put("--judge", judge.name().toLowerCase(java.util.Locale.ROOT));
        m.put("--judge-model", file(judgeModel));
        m.put("--loss-corpus", file(lossCorpus));
        return new RunSettings(m);
    }

    /**
     * Options recorded in run.json that a resumed run may change: they decide how many of
     * candidates.json's scores are computed, never the direction nor what a later stage computes.
     */
    public static final java.util.Set<String> RESUMABLE_WITH_ANY = java.util.Set.of("--score-all");

    private static String file(Path p) {
        return p == null ? null : p.toAbsolutePath().normalize().toString();
    }

    public SelectionCriteria criteria() {
        return filter ? new SelectionCriteria(klThreshold, induceThreshold, pruneLayerFraction) : SelectionCriteria.NONE;
    }
}
