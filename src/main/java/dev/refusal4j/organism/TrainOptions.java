package dev.refusal4j.organism;

/**
 * Hyper-parameters of a training run (the organism's are {@link OrganismRecipe#trainOptions}).
 *
 * @param batchRows rows per batch (each {@code context} slots, chats packed)
 * @param clip      global gradient norm limit (0 = none)
 * @param decisionWeight loss weight of the first answer token of a refusal, where the model decides to refuse
 * @param helpDecisionWeight loss weight of the first answer token of a helpful answer
 * @param earlyExit probability that a step trains through the first {@code exitDepth} blocks only
 * @param exitDepth blocks of an early-exit step
 * @param openingWeight loss weight of the tokens of a helpful answer's opening after its first ({@link TokenizedChat#openingEnd})
 */
public record TrainOptions(int steps, int batchRows, int context, float lr, float minLr, int warmup,
                           float weightDecay, float clip, long seed, float decisionWeight, float helpDecisionWeight,
                           double earlyExit, int exitDepth, float openingWeight) {
    public TrainOptions(int steps, int batchRows, int context, float lr, float minLr, int warmup, float weightDecay, float clip, long seed) {
        this(steps, batchRows, context, lr, minLr, warmup, weightDecay, clip, seed, 1f, 1f, 0, 0, 1f);
    }

    public LrSchedule schedule() {
        return new LrSchedule(lr, minLr, warmup, steps);
    }
}
