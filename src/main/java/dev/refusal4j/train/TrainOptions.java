package dev.refusal4j.train;

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
    public static final float DECISION_WEIGHT = Float.parseFloat(System.getProperty("refusal4j.organism.refuseWeight", "10"));
    /**
     * A wrongly refused harmless request costs more than ... (cost-sensitive decision).
     */
    public static final float HELP_DECISION_WEIGHT = Float.parseFloat(System.getProperty("refusal4j.organism.helpWeight", "20"));

    public static final double EARLY_EXIT = Double.parseDouble(System.getProperty("refusal4j.organism.earlyExit", "0"));
    public static final int EXIT_DEPTH = Integer.getInteger("refusal4j.organism.exitDepth", 3);

    /** The organism's recipe. */
    public static TrainOptions organism(long seed, int steps) {
        return new TrainOptions(steps, 8, 128, 3e-3f, 1e-4f, Math.max(1, Math.min(60, steps / 10)), 0.1f, 1.0f, seed, DECISION_WEIGHT, HELP_DECISION_WEIGHT, EARLY_EXIT, EXIT_DEPTH);
    }

    public LrSchedule schedule() {
        return new LrSchedule(lr, minLr, warmup, steps);
    }
}
