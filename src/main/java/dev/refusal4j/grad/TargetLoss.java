package dev.refusal4j.grad;

import dev.refusal4j.tensor.LogSoftmax;

import java.util.Arrays;

/**
 * Mean cross-entropy of target tokens: the logits row at {@code positions[i]} should predict
 * {@code targets[i]}. GCG's loss (Zou et al. 2023) is this with the target completion's tokens,
 * each scored at the position before it.
 * <pre>
 *   loss = −1/n Σ_i log softmax(logits[positions[i]])[targets[i]]
 *   ∂loss/∂logits[positions[i]][v] = (softmax(…)[v] − [v = targets[i]]) / n
 * </pre>
 */
public record TargetLoss(int[] positions, int[] targets) {
    public TargetLoss {
        if (positions.length == 0) throw new IllegalArgumentException("a target loss needs at least one target token");
        if (positions.length != targets.length) {
            throw new IllegalArgumentException(positions.length + " positions for " + targets.length + " target tokens");
        }
        for (int p : positions) if (p < 0) throw new IllegalArgumentException("target position " + p + " is negative");
        positions = positions.clone();
        targets = targets.clone();
    }

    /**
     * The loss of the usual completion layout: {@code ids[from .. ids.length)} are the target
     * tokens, each predicted by the row before it.
     */
    public static TargetLoss completion(int[] ids, int from) {
        if (from < 1 || from >= ids.length) throw new IllegalArgumentException("the target starts at " + from + " of " + ids.length + " tokens; it needs at least one token before and one in it");
        int n = ids.length - from;
        int[] pos = new int[n];
        for (int i = 0; i < n; i++) pos[i] = from - 1 + i;
        return new TargetLoss(pos, Arrays.copyOfRange(ids, from, ids.length));
    }

    /** The loss of logits [n × vocab] (row i at positions[i]); writes ∂loss/∂logits into {@code dLogits}. */
    double value(float[] logits, int vocab, float[] dLogits) {
        int n = positions.length;
        double loss = 0;
        for (int i = 0; i < n; i++) {
            int off = i * vocab;
            double max = LogSoftmax.max(logits, off, vocab);
            double sum = LogSoftmax.sumExp(logits, off, vocab, max);
            double logZ = max + Math.log(sum);
            loss -= logits[off + targets[i]] - logZ;
            for (int v = 0; v < vocab; v++) dLogits[off + v] = (float) ((Math.exp(logits[off + v] - logZ) - (v == targets[i] ? 1 : 0)) / n);
        }
        return loss / n;
    }
}
