package dev.refusal4j.organism;

import dev.refusal4j.organism.nn.Batch;
import dev.refusal4j.organism.nn.LlamaModel;
import dev.refusal4j.organism.nn.Params;
import dev.refusal4j.organism.nn.Shape;

import java.util.List;
import java.util.SplittableRandom;

/**
 * The training loop: packed batches, forward and backward, global-norm clipping, AdamW with the
 * warm-up + cosine schedule. One call of {@link #next()} is one optimizer update.
 */
public final class Trainer {
    /** What one step did. */
    public record StepResult(int step, double loss, double gradNorm, float lr, int tokens, int lossTokens) {}

    public final LlamaModel model;
    public final AdamW adam;
    public final TrainOptions options;
    public final BatchStream stream;
    private final LrSchedule schedule;
    int step;

    /** A fresh model initialized from {@code options.seed()}. */
    public Trainer(Shape shape, TrainOptions options, List<TokenizedChat> chats, int padId) {
        if (options.context() > shape.context()) throw new IllegalArgumentException("batch context " + options.context() + " exceeds the model context " + shape.context());
        Params p = new Params(shape);
        p.init(new SplittableRandom(options.seed()));
        this.model = new LlamaModel(p);
        this.adam = new AdamW(p, 0.9f, 0.95f, 1e-8f, options.weightDecay());
        this.options = options;
        this.schedule = options.schedule();
        this.stream = new BatchStream(chats, options.batchRows(), options.context(), padId, options.seed(), options.decisionWeight(), options.helpDecisionWeight())
                .openingWeight(options.openingWeight());
    }

    public int stepsDone() {
        return step;
    }

    public boolean done() {
        return step >= options.steps();
    }

    /**
     * Blocks run in step {@code step}: all of them, or with probability {@code earlyExit} only the
     * first {@code exitDepth} (drawn from the seed and the step, so that a resumed run draws the same).
     */
    int depth(int step) {
        int L = model.shape.layers();
        if (options.earlyExit() <= 0 || options.exitDepth() >= L) return L;
        boolean exit = new SplittableRandom(options.seed() * 0x9E3779B97F4A7C15L + step).nextDouble() < options.earlyExit();
        return exit ? options.exitDepth() : L;
    }

    public StepResult next() {
        Batch b = stream.next();
        double loss = model.step(b, true, depth(step));
        double norm = AdamW.norm(model.grads);
        float scale = options.clip() > 0 && norm > options.clip() ? (float) (options.clip() / norm) : 1f;
        float lr = schedule.at(step);
        adam.update(model.grads, lr, scale);
        model.params.sync();
        step++;
        return new StepResult(step, loss, norm, lr, b.B() * b.T(), b.lossTokens());
    }
}
