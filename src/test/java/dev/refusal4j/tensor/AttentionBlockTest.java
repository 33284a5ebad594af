package dev.refusal4j.tensor;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * AttentionBlock against softmax attention written out in double precision, one query at a time:
 * ranges of every kind (causal prefixes, windows, a single key, none), key counts that are not a
 * multiple of the 4-key step, head sizes that are not a multiple of the 8-dimension step, soft caps,
 * partly filled blocks, and the probability pattern. A query's answer does not depend on the other
 * queries of its block, bit for bit.
 */
class AttentionBlockTest {
    static final int SLOTS = 37;

    @Test
    void everyQueryMatchesADoublePrecisionSoftmaxOverItsOwnKeys() {
        Random rnd = new Random(7);
        for (int hd : new int[] {4, 12, 32, 64}) {
            for (float cap : new float[] {0f, 5f}) {
                int stride = 3 * hd; // the head sits inside a wider cache row, as a key/value head among others
                int off = hd;
                float[] K = random(rnd, SLOTS * stride, 2f), V = random(rnd, SLOTS * stride, 1f);
                int queries = AttentionBlock.LANES + 3;
                float[] q = random(rnd, queries * hd, 2f);
                int[] first = new int[queries], last = new int[queries];
                for (int i = 0; i < queries; i++) {
                    last[i] = rnd.nextInt(SLOTS);
                    first[i] = switch (i % 4) {
                        case 0 -> 0;                                 // causal prefix
                        case 1 -> Math.max(0, last[i] - 5);         // sliding window
                        case 2 -> last[i];                           // one key
                        default -> last[i] + 1;                      // no key: output 0
                    };
                }
                float scale = (float) (1 / Math.sqrt(hd));
                float[] z = new float[queries * hd], pattern = new float[queries * SLOTS];
                for (int from = 0; from < queries; from += AttentionBlock.LANES) {
                    AttentionBlock b = AttentionBlock.get();
                    for (int i = from; i < Math.min(queries, from + AttentionBlock.LANES); i++) b.add(i * hd, i * hd, first[i], last[i], i * SLOTS);
                    b.run(q, K, V, off, stride, hd, scale, cap, z, pattern);
                }
                for (int i = 0; i < queries; i++) {
                    double[] expect = new double[hd], probs = new double[SLOTS];
                    reference(q, i * hd, K, V, off, stride, hd, scale, cap, first[i], last[i], expect, probs);
                    for (int d = 0; d < hd; d++) assertThat((double) z[i * hd + d]).as("hd %d cap %s query %d dim %d", hd, cap, i, d).isCloseTo(expect[d], within(2e-6));
                    for (int j = 0; j < SLOTS; j++) assertThat((double) pattern[i * SLOTS + j]).as("p query %d key %d", i, j).isCloseTo(probs[j], within(1e-6));
                }
            }
        }
    }

    @Test
    void aQueryGetsTheSameBitsAloneOrInAFullBlock() {
        Random rnd = new Random(3);
        int hd = 64, stride = hd;
        float[] K = random(rnd, SLOTS * stride, 2f), V = random(rnd, SLOTS * stride, 1f), q = random(rnd, AttentionBlock.LANES * hd, 2f);
        float[] together = new float[q.length], alone = new float[q.length];
        AttentionBlock b = AttentionBlock.get();
        for (int i = 0; i < AttentionBlock.LANES; i++) b.add(i * hd, i * hd, i % 3, SLOTS - 1 - i, 0);
        b.run(q, K, V, 0, stride, hd, 0.125f, 0f, together, null);
        for (int i = 0; i < AttentionBlock.LANES; i++) {
            AttentionBlock one = AttentionBlock.get();
            one.add(i * hd, i * hd, i % 3, SLOTS - 1 - i, 0);
            one.run(q, K, V, 0, stride, hd, 0.125f, 0f, alone, null);
        }
        assertThat(alone).containsExactly(together);
    }

    private static void reference(float[] q, int qo, float[] K, float[] V, int off, int stride, int hd, float scale, float cap,
                                  int first, int last, double[] z, double[] probs) {
        if (first > last) return;
        double[] s = new double[last + 1];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = first; j <= last; j++) {
            double dot = 0;
            for (int d = 0; d < hd; d++) dot += (double) q[qo + d] * K[off + j * stride + d];
            dot *= scale;
            if (cap > 0) dot = cap * Math.tanh(dot / cap);
            s[j] = dot;
            max = Math.max(max, dot);
        }
        double sum = 0;
        for (int j = first; j <= last; j++) sum += s[j] = Math.exp(s[j] - max);
        for (int j = first; j <= last; j++) {
            probs[j] = s[j] / sum;
            for (int d = 0; d < hd; d++) z[d] += probs[j] * V[off + j * stride + d];
        }
    }

    private static float[] random(Random r, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * scale);
        return a;
    }
}
