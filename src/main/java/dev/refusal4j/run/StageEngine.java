package dev.refusal4j.run;

import dev.refusal4j.ProgressListener;
import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.intervene.Condition;
import dev.refusal4j.select.CandidateScorer;
import dev.refusal4j.select.SelectionCriteria;

import java.util.List;
import java.util.ServiceLoader;

/**
 * Where the pipeline's three model-heavy computations run: in this process ({@link LocalEngine}) or
 * spread over a cluster (the Spark module, found through {@link Provider}). Every engine returns what
 * the local one returns, to the bit: the work is cut along the batches and candidates that one
 * process uses anyway.
 */
public interface StageEngine extends AutoCloseable {
    /** Mean resid_pre at the last {@code positions} positions, [pos][layer][d], as {@code MeanActivations.residPre}. */
    double[][][] meanResidPre(List<int[]> prompts, int positions, int batchSize, ProgressListener progress);

    /** Every candidate's scores, as {@link CandidateScorer#score}. */
    CandidateScorer.Scores score(float[][][] candidates, List<int[]> harmful, List<int[]> harmless, int[] refusalTokens, int batchSize,
                                 SelectionCriteria stopAt, ProgressListener progress);

    /** The greedy completions' token ids under a condition, as {@code Completions.generateIds}. */
    int[][] complete(List<int[]> prompts, Condition condition, RefusalDirection dir, float coefficient, int maxNewTokens, int[] stop,
                     int batchSize, ProgressListener progress);

    /** The forward FLOPs done outside this process so far (0 for the local engine, whose model counts its own). */
    default double flops() {
        return 0;
    }

    @Override
    void close();

    /** An engine that runs the stages elsewhere, registered as a service by its module. */
    interface Provider {
        /** The option that picks it, e.g. "--spark". */
        String option();

        /** @param master where to run, as the option's value names it */
        StageEngine open(String master, RunConfig cfg);
    }

    /** The engine that {@code option} names, or a one-line error saying how to get its module. */
    static StageEngine open(String option, String master, RunConfig cfg) {
        for (Provider p : ServiceLoader.load(Provider.class)) {
            if (p.option().equals(option)) return p.open(master, cfg);
        }
        throw new IllegalArgumentException(option + " needs the Spark module (refusal4j-spark), which is not on the class path: build it once with"
                + " 'bin/maven -f reactor.xml -DskipTests package' (downloads Spark, about 230 MB), then run through ./refusal4j");
    }
}
