package dev.refusal4j.generate;

import dev.refusal4j.model.Forward;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.testutil.Shared;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class GeneratorTest {
    /** Greedy decoding the slow way: a full forward pass over the whole sequence for every token. */
    static int[] naiveGreedy(Transformer m, int[] prompt, int n) {
        int[] seq = prompt.clone();
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            float[] logits = m.forward(Forward.of(seq).logits(Transformer.Logits.LAST));
            out[i] = Sampler.argmax(logits, 0, m.config.vocab);
            seq = Arrays.copyOf(seq, seq.length + 1);
            seq[seq.length - 1] = out[i];
        }
        return out;
    }

    @Test
    void batchedGreedyWithCacheEqualsNaiveDecoding() throws IOException {
        try (Transformer m = Transformer.load(Shared.path("golden", "gemma2"))) {
            List<int[]> prompts = List.of(new int[] {5, 17, 3, 99, 42, 7, 0, 250}, new int[] {8, 200}, new int[] {1, 2, 3, 4});
            List<int[]> got = new Generator(m).generate(prompts, 12, null, SamplingOptions.GREEDY, null, null);
            for (int b = 0; b < prompts.size(); b++) {
                assertThat(got.get(b)).as("sequence " + b).containsExactly(naiveGreedy(m, prompts.get(b), 12));
            }
        }
    }

    @Test
    void stopsAtStopIdsAndListenerRequests() throws IOException {
        try (Transformer m = Transformer.load(Shared.path("golden", "qwen2"))) {
            int[] prompt = {11, 22, 33};
            int[] free = naiveGreedy(m, prompt, 8);
            List<int[]> stopped = new Generator(m).generate(List.of(prompt), 8, new int[] {free[3]}, SamplingOptions.GREEDY, null, null);
            int firstStop = 0;
            while (free[firstStop] != free[3]) firstStop++;
            assertThat(stopped.get(0)).containsExactly(Arrays.copyOf(free, firstStop));
            List<Integer> seen = new ArrayList<>();
            List<int[]> cut = new Generator(m).generate(List.of(prompt), 8, null, SamplingOptions.GREEDY, null,
                    (b, id) -> { seen.add(id); return seen.size() < 2; });
            assertThat(cut.get(0)).containsExactly(free[0], free[1]);
        }
    }

    @Test
    void seededSamplingIsReproducibleAndTopKOneIsGreedy() throws IOException {
        try (Transformer m = Transformer.load(Shared.path("golden", "llama"))) {
            int[] prompt = {1, 50, 60, 70};
            SamplingOptions s = new SamplingOptions(1.0f, 0, 0.95f, 0.0f, 1.1f, 42);
            int[] a = new Generator(m).generate(List.of(prompt), 10, null, s, null, null).get(0);
            int[] b = new Generator(m).generate(List.of(prompt), 10, null, s, null, null).get(0);
            assertThat(a).containsExactly(b);
            int[] k1 = new Generator(m).generate(List.of(prompt), 10, null, new SamplingOptions(0.7f, 1, 1f, 0f, 1f, 7), null, null).get(0);
            assertThat(k1).containsExactly(naiveGreedy(m, prompt, 10));
        }
    }
}
