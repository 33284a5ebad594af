package dev.refusal4j.organism;

/**
 * Hyper-parameters of a training run.
 *
 * @param batchRows rows per batch (each {@code context} slots, chats packed)
 * @param clip      global gradient norm limit (0 = none)
 * @param decisionWeight loss weight of the first answer token of a refusal, where the model decides to refuse
 * @param helpDecisionWeight loss weight of the first answer token of a helpful answer
 * @param earlyExit probability that a step trains through the first {@code exitDepth} blocks only
 * @param exitDepth blocks of an early-exit step
 */
public record TrainOptions(int steps, int batchRows, int context, float lr, float minLr, int warmup,
                           float weightDecay, float clip, long seed, float decisionWeight, float helpDecisionWeight,
                           double earlyExit, int exitDepth) {
    public TrainOptions(int steps, int batchRows, int context, float lr, float minLr, int warmup, float weightDecay, float clip, long seed) {
        this(steps, batchRows, context, lr, minLr, warmup, weightDecay, clip, seed, 1f, 1f, 0, 0);
    }

    /**
     * The first answer token carries the whole refuse-or-help decision but is one token of about
     * forty in a chat's loss, most of which goes to memorizing answers; weighting it up makes the
     * decision a larger share of what the model learns.
     */
    public static final float DECISION_WEIGHT = 10f;
    /**
     * The decision of a helpful answer weighs more than that of a refusal (cost-sensitive loss): the
     * organism's errors were mostly harmless requests on unfamiliar topics refused by default.
     */
    public static final float HELP_DECISION_WEIGHT = 15f;
    /**
     * Share of steps that train through the first {@link #EXIT_DEPTH} blocks only. The head must then
     * read the decision from the residual stream after three of six blocks, so that the refusal
     * feature forms in the layers the paper's selection keeps (layer &lt; 0.8·L) and the later blocks
     * carry it on; without it, adding the selected direction did not make the organism refuse.
     */
    public static final double EARLY_EXIT = 0.3;
    public static final int EXIT_DEPTH = 3;

    /** The organism's recipe. */
    public static TrainOptions organism(long seed, int steps) {
        return organism(seed, steps, DECISION_WEIGHT, HELP_DECISION_WEIGHT, EARLY_EXIT, EXIT_DEPTH);
    }

    /** The organism's recipe with other decision weights and early exits. */
    public static TrainOptions organism(long seed, int steps, float refuseWeight, float helpWeight, double earlyExit, int exitDepth) {
        return new TrainOptions(steps, 8, 128, 3e-3f, 1e-4f, Math.max(1, Math.min(60, steps / 10)), 0.1f, 1.0f, seed, refuseWeight, helpWeight, earlyExit, exitDepth);
    }

    public LrSchedule schedule() {
        return new LrSchedule(lr, minLr, warmup, steps);
    }
}
