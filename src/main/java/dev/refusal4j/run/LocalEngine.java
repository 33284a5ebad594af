package dev.refusal4j.run;

import dev.refusal4j.ProgressListener;
import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.evaluate.Completions;
import dev.refusal4j.extract.MeanActivations;
import dev.refusal4j.intervene.Condition;
import dev.refusal4j.model.LayerSweep;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.select.CandidateScorer;
import dev.refusal4j.select.SelectionCriteria;

import java.util.List;

/** The stages in this process, on the model the pipeline loaded. */
public final class LocalEngine implements StageEngine {
    private final Transformer model;
    private final LayerSweep.Budget sweep;

    /** @param sweep null: whole forward calls; else activations and scoring in layer sweeps within this budget */
    public LocalEngine(Transformer model, LayerSweep.Budget sweep) {
        this.model = model;
        this.sweep = sweep;
    }

    @Override
    public double[][][] meanResidPre(List<int[]> prompts, int positions, int batchSize, ProgressListener progress) {
        if (sweep == null) return MeanActivations.residPre(model, prompts, positions, batchSize, progress);
        return MeanActivations.mean(java.util.Arrays.asList(MeanActivations.batchSums(model, prompts, positions, batchSize, b -> true, sweep, progress)),
                prompts.size());
    }

    @Override
    public CandidateScorer.Scores score(float[][][] candidates, List<int[]> harmful, List<int[]> harmless, int[] refusalTokens, int batchSize,
                                        SelectionCriteria stopAt, ProgressListener progress) {
        return new CandidateScorer(model, refusalTokens, batchSize).sweeping(sweep).score(candidates, harmful, harmless, stopAt, progress);
    }

    @Override
    public int[][] complete(List<int[]> prompts, Condition condition, RefusalDirection dir, float coefficient, int maxNewTokens, int[] stop,
                            int batchSize, ProgressListener progress) {
        return Completions.generateIds(model, prompts, condition.hooks(dir, coefficient), maxNewTokens, stop, batchSize, b -> true, progress);
    }

    @Override
    public void close() {
        // the model belongs to the pipeline
    }
}
