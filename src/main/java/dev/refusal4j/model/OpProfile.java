package dev.refusal4j.model;

import java.util.Arrays;

/**
 * Where a forward pass spends its time, by kind of operation: the wall time of each part of
 * {@link Transformer#forward} summed over calls, and the multiply-adds of the matrix products, so
 * that a benchmark can say which operation is far from the CPU's limit. Every part runs its worker
 * threads to completion before the next begins, so wall times on the calling thread add up to the
 * call's time; what no part claims is {@link Op#OTHER}.
 *
 * <p>{@link #OFF} reads no clock: a model without a profile pays one virtual call per part.
 */
public class OpProfile {
    /** The parts of a forward pass. */
    public enum Op {
        /** The q, k, v, o projections and the MLP's matrices. */
        MATMUL("matmul"),
        /** Scores, softmax and the weighted sum of values, over the visible keys. */
        ATTENTION("attention"),
        /** RMSNorm of the residual stream before (and, in Gemma-2, after) each sub-layer, and the final norm. */
        NORMS("norms"),
        /** Per row of q and k: their norms where the model has them, the rotary embedding, and the copy into the KV cache. */
        ROPE("rope"),
        /** The MLP's gated activation. */
        ACTIVATION("activation"),
        /** The output head: the logits. */
        LM_HEAD("lm_head"),
        /** Embedding lookup, residual additions, hooks, bookkeeping: the call's time no other part claims. */
        OTHER("other");

        public final String label;

        Op(String label) {
            this.label = label;
        }
    }

    /** No profile: no clock read, nothing kept. */
    public static final OpProfile OFF = new OpProfile() {
        @Override
        public long start() {
            return 0;
        }

        @Override
        public void stop(Op op, long startNanos) {}

        @Override
        public void stop(Op op, long startNanos, double flops) {}

        @Override
        void call(long nanos) {}
    };

    private final long[] nanos = new long[Op.values().length];
    private final double[] flops = new double[Op.values().length];
    private long callNanos;
    private long calls;

    /** The clock reading a part starts from. */
    public long start() {
        return System.nanoTime();
    }

    /** Ends a part begun at {@code startNanos}. */
    public void stop(Op op, long startNanos) {
        nanos[op.ordinal()] += System.nanoTime() - startNanos;
    }

    /** Ends a part begun at {@code startNanos} that did {@code flops} floating-point operations. */
    public void stop(Op op, long startNanos, double flops) {
        stop(op, startNanos);
        this.flops[op.ordinal()] += flops;
    }

    /** One whole forward call of {@code nanos}. */
    void call(long nanos) {
        callNanos += nanos;
        calls++;
    }

    /** Forgets everything measured so far. */
    public void reset() {
        Arrays.fill(nanos, 0);
        Arrays.fill(flops, 0);
        callNanos = 0;
        calls = 0;
    }

    /** Forward calls measured. */
    public long calls() {
        return calls;
    }

    /** Seconds of whole forward calls. */
    public double totalSeconds() {
        return callNanos / 1e9;
    }

    /** Seconds spent in {@code op}; for {@link Op#OTHER}, the calls' time no other part claims. */
    public double seconds(Op op) {
        if (op != Op.OTHER) return nanos[op.ordinal()] / 1e9;
        long claimed = 0;
        for (Op o : Op.values()) if (o != Op.OTHER) claimed += nanos[o.ordinal()];
        return Math.max(0, callNanos - claimed) / 1e9;
    }

    /** Floating-point operations counted for {@code op} (matrix products only; 0 for the others). */
    public double flops(Op op) {
        return flops[op.ordinal()];
    }
}
