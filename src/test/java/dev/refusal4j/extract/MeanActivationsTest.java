package dev.refusal4j.extract;

import dev.refusal4j.model.Forward;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.testutil.Shared;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class MeanActivationsTest {
    @Test
    void batchedMeansEqualMeansOfSinglePromptCaptures() throws IOException {
        check(List.of(new int[] {4, 8, 15, 16, 23, 42}, new int[] {1, 2, 3}, new int[] {300, 200, 100, 50, 25},
                new int[] {7, 7, 7, 7, 7, 7, 7, 7, 7}, new int[] {11, 12, 13, 14}));
    }

    /** Prompts that share a template prefix: it is run once and the rest continues from its cache. */
    @Test
    void sharedPrefixMeansEqualMeansOfSinglePromptCaptures() throws IOException {
        check(List.of(new int[] {9, 8, 7, 6, 5, 4, 8, 15, 16, 23, 42}, new int[] {9, 8, 7, 6, 5, 1, 2, 3}, new int[] {9, 8, 7, 6, 5, 300, 200, 100, 50, 25},
                new int[] {9, 8, 7, 6, 5, 7, 7, 7, 7, 7, 7, 7, 7, 7}, new int[] {9, 8, 7, 6, 5, 11, 12, 13, 14}));
    }

    /** Batches computed apart (as workers compute them) and added in batch order give the one-process means to the bit. */
    @Test
    void batchSumsSplitAcrossWorkersGiveTheSameMeans() throws IOException {
        List<int[]> prompts = List.of(new int[] {9, 8, 7, 6, 5, 4, 8, 15, 16}, new int[] {9, 8, 7, 6, 5, 1, 2, 3}, new int[] {9, 8, 7, 6, 5, 300, 200, 100, 50},
                new int[] {9, 8, 7, 6, 5, 7, 7, 7, 7, 7}, new int[] {9, 8, 7, 6, 5, 11, 12, 13, 14}, new int[] {9, 8, 7, 6, 5, 40, 41});
        try (Transformer m = Transformer.load(Shared.path("golden", "qwen2"))) {
            int P = 2, batch = 2, n = MeanActivations.batches(prompts, P, batch);
            assertThat(n).isEqualTo(3);
            double[][][][] even = MeanActivations.batchSums(m, prompts, P, batch, b -> b % 2 == 0, null);
            double[][][][] odd = MeanActivations.batchSums(m, prompts, P, batch, b -> b % 2 == 1, null);
            assertThat(even[1]).isNull();
            assertThat(odd[0]).isNull();
            double[][][] split = MeanActivations.mean(List.of(even[0], odd[1], even[2]), prompts.size());
            assertThat(split).isDeepEqualTo(MeanActivations.residPre(m, prompts, P, batch, null));
        }
    }

    /** Layer by layer (residual streams in the heap, or in a file) the sums are those of whole forward calls, to the bit. */
    @Test
    void layerSweepGivesTheSameSums(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws IOException {
        java.nio.file.Path spill = tmp.resolve("sweep");
        List<int[]> prompts = List.of(new int[] {9, 8, 7, 6, 5, 4, 8, 15, 16}, new int[] {9, 8, 7, 6, 5, 1, 2, 3}, new int[] {9, 8, 7, 6, 5, 300, 200, 100, 50},
                new int[] {9, 8, 7, 6, 5, 7, 7, 7, 7, 7}, new int[] {9, 8, 7, 6, 5, 11, 12, 13, 14});
        List<int[]> unshared = List.of(new int[] {4, 8, 15, 16, 23, 42}, new int[] {1, 2, 3}, new int[] {300, 200, 100, 50, 25});
        try (Transformer m = Transformer.load(Shared.path("golden", "qwen2"))) {
            for (List<int[]> set : List.of(prompts, unshared)) {
                long s0 = m.sweeps();
                double[][][][] whole = MeanActivations.batchSums(m, set, 2, 2, b -> true, null);
                assertThat(m.sweeps()).as("whole forward calls").isEqualTo(s0);
                for (long budget : new long[] {Long.MAX_VALUE, 0}) {
                    long before = m.sweeps();
                    double[][][][] swept = MeanActivations.batchSums(m, set, 2, 2, b -> true, new dev.refusal4j.model.LayerSweep.Budget(budget, spill), null);
                    assertThat(swept).as("budget " + budget).isDeepEqualTo(whole);
                    assertThat(m.sweeps() - before).as("every batch of a set rides one sweep: each layer read once").isEqualTo(1);
                }
            }
            assertThat(spill).as("the spill file and the folder made for it are deleted").doesNotExist();
        }
    }

    private static void check(List<int[]> prompts) throws IOException {
        try (Transformer m = Transformer.load(Shared.path("golden", "qwen2"))) {
            int P = 3, L = m.config.layers, d = m.config.hidden;
            double[][][] batched = MeanActivations.residPre(m, prompts, P, 2, null);
            double[][][] ref = new double[P][L][d];
            for (int[] p : prompts) {
                float[][] pre = m.runWithCache(Forward.of(p).logits(Transformer.Logits.NONE), "blocks.*.hook_resid_pre").byLayer(Hooks.RESID_PRE);
                for (int k = 0; k < P; k++) for (int l = 0; l < L; l++) for (int i = 0; i < d; i++) ref[k][l][i] += pre[l][(p.length - P + k) * d + i] / (double) prompts.size();
            }
            double worst = 0;
            for (int k = 0; k < P; k++) for (int l = 0; l < L; l++) for (int i = 0; i < d; i++) worst = Math.max(worst, Math.abs(batched[k][l][i] - ref[k][l][i]));
            System.out.printf("batched vs single-prompt means: max |diff| %.2e%n", worst);
            assertThat(worst).isLessThan(1e-6);
        }
    }
}
