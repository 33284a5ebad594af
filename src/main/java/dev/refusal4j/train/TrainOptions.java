package dev.refusal4j.train;

/**
 * Hyper-parameters of a training run.
 *
 * @param batchRows rows per batch (each {@code context} slots, chats packed)
 * @param clip      global gradient norm limit (0 = none)
 */
public record TrainOptions(int steps, int batchRows, int context, float lr, float minLr, int warmup,
                           float weightDecay, float clip, long seed) {
    /** The organism's recipe. */
    public static TrainOptions organism(long seed, int steps) {
        return new TrainOptions(steps, 8, 128, 3e-3f, 1e-4f, Math.max(1, Math.min(60, steps / 10)), 0.1f, 1.0f, seed);
    }

    public LrSchedule schedule() {
        return new LrSchedule(lr, minLr, warmup, steps);
    }
}
