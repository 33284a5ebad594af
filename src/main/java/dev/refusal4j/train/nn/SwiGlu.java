package dev.refusal4j.train.nn;

import dev.refusal4j.tensor.Ops;
import dev.refusal4j.tensor.Parallel;

/**
 * The SwiGLU gate, forward and backward.
 * <pre>
 *   gate [N, F], up [N, F] → h [N, F] = silu(gate) · up,   silu(g) = g · σ(g)
 *   dup   = dh · silu(g)
 *   dgate = dh · up · σ(g) · (1 + g · (1 − σ(g)))
 * </pre>
 */
final class SwiGlu {
    private SwiGlu() {}

    static void forward(float[] gate, float[] up, float[] h, int n) {
        Parallel.forRange(n, 1 << 14, (i0, i1) -> {
            for (int i = i0; i < i1; i++) h[i] = Ops.silu(gate[i]) * up[i];
        });
    }

    static void backward(float[] dh, float[] gate, float[] up, float[] dGate, float[] dUp, int n) {
        Parallel.forRange(n, 1 << 14, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                float g = gate[i];
                float sig = 1f / (1f + (float) Math.exp(-g));
                dUp[i] = dh[i] * g * sig;
                dGate[i] = dh[i] * up[i] * sig * (1f + g * (1f - sig));
            }
        });
    }
}
