package dev.refusal4j.organism.nn;

import dev.refusal4j.tensor.Parallel;
import dev.refusal4j.tensor.VectorMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Softmax cross-entropy of the rows that carry a target, forward and backward fused.
 * <pre>
 *   logits [M, V], targets [M], weights [M] → loss = Σ_r w_r · −log softmax(logits_r)[targets_r] / Σ w
 *   in place: logits_r ← w_r · (softmax(logits_r) − onehot(targets_r)) / Σ w   (the gradient)
 * </pre>
 * The normalizer Σ w is over the whole batch, so that the loss is a weighted mean per assistant token. Exponentials by {@link VectorMath#exp}, not the Vector API's EXP, whose
 * intrinsic and fallback differ in the last bit (training would then depend on when the JIT compiles); the normalizer
 * is summed per lane in float (V terms in [0, 1]) and across lanes in double.
 */
final class CrossEntropy {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private CrossEntropy() {}

    /** Returns the summed (not averaged) loss; writes the gradient of loss/count into logits. */
    static double forwardBackward(float[] logits, int[] targets, float[] weights, int M, int V, double norm, double[] rowLoss) {
        final int upper = S.loopBound(V);
        Parallel.forRange(M, 8, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * V;
                final float invCount = (float) (weights[r] / norm);
                float max = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < V; i++) max = Math.max(max, logits[o + i]);
                FloatVector acc = FloatVector.zero(S);
                int i = 0;
                for (; i < upper; i += S.length()) acc = acc.add(VectorMath.exp(FloatVector.fromArray(S, logits, o + i).sub(max)));
                double sum = 0;
                for (int l = 0; l < S.length(); l++) sum += acc.lane(l);
                for (; i < V; i++) sum += Math.exp(logits[o + i] - max);
                double logZ = max + Math.log(sum);
                rowLoss[r] = weights[r] * (logZ - logits[o + targets[r]]);
                float lz = (float) logZ;
                for (i = 0; i < upper; i += S.length()) {
                    VectorMath.exp(FloatVector.fromArray(S, logits, o + i).sub(lz)).mul(invCount).intoArray(logits, o + i);
                }
                for (; i < V; i++) logits[o + i] = (float) Math.exp(logits[o + i] - logZ) * invCount;
                logits[o + targets[r]] -= invCount;
            }
        });
        double total = 0;
        for (int r = 0; r < M; r++) total += rowLoss[r];
        return total;
    }
}
