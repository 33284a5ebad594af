package dev.refusal4j.organism.nn;

import dev.refusal4j.tensor.Parallel;
import jdk.incubator.vector.FloatVector;
import dev.refusal4j.tensor.VectorMath;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SwiGLU gate, forward and backward.
 * <pre>
 *   gate [N, F], up [N, F] → h [N, F] = silu(gate) · up,   silu(g) = g · σ(g)
 *   dup   = dh · silu(g)
 *   dgate = dh · up · σ(g) · (1 + g · (1 − σ(g)))
 * </pre>
 * σ with {@link VectorMath#exp} (about 1 ulp), which gives the same bits compiled or interpreted, unlike
 * the Vector API's EXP: a training run must not depend on when the JIT compiles.
 */
final class SwiGlu {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);

    private SwiGlu() {}

    static void forward(float[] gate, float[] up, float[] h, int n) {
        Parallel.forRange(n, 1 << 14, (i0, i1) -> {
            int i = i0;
            for (int upper = i0 + S.loopBound(i1 - i0); i < upper; i += S.length()) {
                FloatVector g = FloatVector.fromArray(S, gate, i);
                g.mul(sigmoid(g)).mul(FloatVector.fromArray(S, up, i)).intoArray(h, i);
            }
            for (; i < i1; i++) h[i] = gate[i] / (1f + (float) Math.exp(-gate[i])) * up[i];
        });
    }

    static void backward(float[] dh, float[] gate, float[] up, float[] dGate, float[] dUp, int n) {
        Parallel.forRange(n, 1 << 14, (i0, i1) -> {
            int i = i0;
            for (int upper = i0 + S.loopBound(i1 - i0); i < upper; i += S.length()) {
                FloatVector g = FloatVector.fromArray(S, gate, i), d = FloatVector.fromArray(S, dh, i);
                FloatVector sig = sigmoid(g);
                d.mul(g).mul(sig).intoArray(dUp, i);
                FloatVector slope = sig.mul(g.mul(sig.neg().add(1f)).add(1f)); // σ (1 + g (1 − σ))
                d.mul(FloatVector.fromArray(S, up, i)).mul(slope).intoArray(dGate, i);
            }
            for (; i < i1; i++) {
                float g = gate[i];
                float sig = 1f / (1f + (float) Math.exp(-g));
                dUp[i] = dh[i] * g * sig;
                dGate[i] = dh[i] * up[i] * sig * (1f + g * (1f - sig));
            }
        });
    }

    private static FloatVector sigmoid(FloatVector g) {
        return ONE.div(VectorMath.exp(g.neg()).add(1f));
    }
}
