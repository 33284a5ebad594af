package dev.refusal4j.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from one row of logits. One instance per sequence: it owns the seeded
 * random stream and scratch buffers sized to the vocabulary (no allocation per token).
 */
public final class Sampler {
    private final SamplingOptions o;
    private final SplittableRandom rng;
    private final float[] probs;     // (vocab)
    private final int[] order;       // (vocab) candidate ids, sorted by probability when needed
    private final boolean[] seen;    // (vocab) ids already in the context, for the repetition penalty

    public Sampler(SamplingOptions options, int vocab, long streamSeed) {
        this.o = options;
        this.rng = new SplittableRandom(options.seed() * 0x9E3779B97F4A7C15L + streamSeed);
        this.probs = new float[vocab];
        this.order = new int[vocab];
        this.seen = new boolean[vocab];
    }

    /** Records context ids for the repetition penalty. */
    public void observe(int id) {
        seen[id] = true;
    }

    public static int argmax(float[] logits, int off, int n) {
        int best = 0;
        float bv = logits[off];
        for (int i = 1; i < n; i++) if (logits[off + i] > bv) { bv = logits[off + i]; best = i; }
        return best;
    }

    /** The next id from logits[off .. off+vocab). The logits are not modified. */
    public int next(float[] logits, int off) {
        int V = probs.length;
        float rp = o.repetitionPenalty();
        for (int i = 0; i < V; i++) {
            float l = logits[off + i];
            if (rp != 1f && seen[i]) l = l > 0 ? l / rp : l * rp;
            probs[i] = l;
        }
        if (o.greedy()) return argmax(probs, 0, V);
        // Not LogSoftmax: sampling needs each token's weight, kept as a float so that its bits are the sort key below.
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < V; i++) max = Math.max(max, probs[i] /= o.temperature());
        double sum = 0;
        for (int i = 0; i < V; i++) sum += probs[i] = (float) Math.exp(probs[i] - max);
        int n = V;
        boolean needSort = (o.topK() > 0 && o.topK() < V) || o.topP() < 1f;
        for (int i = 0; i < V; i++) order[i] = i;
        if (needSort) {
            // sort ids by probability, descending (boxed sort avoided: sort keys packed in longs)
            long[] keys = new long[V];
            for (int i = 0; i < V; i++) keys[i] = ((long) Float.floatToIntBits(probs[i]) << 32) | (0xFFFFFFFFL & ~i);
            Arrays.sort(keys);
            for (int i = 0; i < V; i++) order[i] = ~(int) keys[V - 1 - i];
            if (o.topK() > 0) n = Math.min(n, o.topK());
            if (o.topP() < 1f) {
                double acc = 0;
                for (int i = 0; i < n; i++) {
                    acc += probs[order[i]] / sum;
                    if (acc >= o.topP()) { n = i + 1; break; }
                }
            }
        }
        if (o.minP() > 0f) {
            float top = 0;
            for (int i = 0; i < n; i++) top = Math.max(top, probs[order[i]]);
            float cut = o.minP() * top;
            int m = 0;
            for (int i = 0; i < n; i++) if (probs[order[i]] >= cut) order[m++] = order[i];
            n = m;
        }
        double total = 0;
        for (int i = 0; i < n; i++) total += probs[order[i]];
        double u = rng.nextDouble() * total;
        for (int i = 0; i < n; i++) {
            u -= probs[order[i]];
            if (u <= 0) return order[i];
        }
        return order[n - 1];
    }
}
