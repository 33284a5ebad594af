package dev.refusal4j.generate;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SamplerTest {
    static final float[] LOGITS = {2.0f, 1.0f, 0.0f, -1.0f, 3.0f};

    static double[] softmax(float[] l, float temp) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (float v : l) max = Math.max(max, v / temp);
        double[] p = new double[l.length];
        for (int i = 0; i < l.length; i++) sum += p[i] = Math.exp(l[i] / temp - max);
        for (int i = 0; i < l.length; i++) p[i] /= sum;
        return p;
    }

    @Test
    void frequenciesFollowTheTemperatureSoftmax() {
        Sampler s = new Sampler(new SamplingOptions(1.5f, 0, 1f, 0f, 1f, 123), LOGITS.length, 0);
        int n = 200_000;
        int[] counts = new int[LOGITS.length];
        for (int i = 0; i < n; i++) counts[s.next(LOGITS, 0)]++;
        double[] p = softmax(LOGITS, 1.5f);
        for (int i = 0; i < p.length; i++) {
            double sd = Math.sqrt(p[i] * (1 - p[i]) / n);
            assertThat(counts[i] / (double) n).as("token " + i).isCloseTo(p[i], org.assertj.core.data.Offset.offset(5 * sd + 1e-9));
        }
    }

    @Test
    void topKTopPAndMinPRestrictTheCandidates() {
        // probabilities at T=1: id4 .64, id0 .24, id1 .086, id2 .032, id3 .012
        Sampler k2 = new Sampler(new SamplingOptions(1f, 2, 1f, 0f, 1f, 1), 5, 0);
        Sampler p80 = new Sampler(new SamplingOptions(1f, 0, 0.8f, 0f, 1f, 2), 5, 0);
        Sampler minP = new Sampler(new SamplingOptions(1f, 0, 1f, 0.1f, 1f, 3), 5, 0);
        for (int i = 0; i < 20_000; i++) {
            assertThat(k2.next(LOGITS, 0)).isIn(4, 0);
            assertThat(p80.next(LOGITS, 0)).isIn(4, 0);
            assertThat(minP.next(LOGITS, 0)).isIn(4, 0, 1); // .086 >= .1 * .64
        }
    }

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogits() {
        // greedy with a penalty of 2 on id 4 (3.0 -> 1.5): id 0 (2.0) wins
        Sampler g = new Sampler(new SamplingOptions(0f, 0, 1f, 0f, 2f, 0), 5, 0);
        assertThat(g.next(LOGITS, 0)).isEqualTo(4);
        g.observe(4);
        assertThat(g.next(LOGITS, 0)).isEqualTo(0);
    }
}
