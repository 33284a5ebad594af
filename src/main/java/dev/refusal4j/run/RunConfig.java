package dev.refusal4j.run;

import dev.refusal4j.prompts.RunPrompts;
import dev.refusal4j.select.SelectionCriteria;
import dev.refusal4j.evaluate.JudgeRule;

import java.nio.file.Path;

/**
 * Every setting of one run. The sizes, seed, filters and thresholds are the paper code's defaults;
 * the completion length, the refusal tokens (derived from the tokenizer) and the chat template (the
 * model's own) are not.
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
    public int maxNewTokens = 256;
    /** Filter train/val prompts by the base model's refusal score and candidates by the thresholds. */
    public boolean filter = true;
    /** Filter only the train/val prompts by refusal score (the thresholds stay unless filter is off). */
    public boolean promptFilter = true;
    public Double klThreshold = 0.1;
    public Double induceThreshold = 0.0;
    public Double pruneLayerFraction = 0.2;
    /** null = derived from the tokenizer (first token of "I" and "As"). */
    public int[] refusalTokens;
    public String system;
    public Path template;
    public JudgeRule judge = JudgeRule.SUBSTRING;
    public boolean resume;
    public boolean force;
    public boolean quiet;
    /** Completions shown side by side in the report. */
    public int samples = 8;
    /** When set, an abliterated copy of the model is written here at the end. */
    public Path export;

    public RunPrompts.Request prompts() {
        return new RunPrompts.Request(harmfulTrain, harmlessTrain, harmfulVal, harmlessVal, harmfulTest, harmlessTest, nTrain, nVal, nTest, seed);
    }

    public SelectionCriteria criteria() {
        return filter ? new SelectionCriteria(klThreshold, induceThreshold, pruneLayerFraction) : SelectionCriteria.NONE;
    }
}
