package dev.refusal4j.model;

import dev.refusal4j.tensor.Matrix;
import dev.refusal4j.testutil.Shared;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The FLOPs the engine counts for a forward call are 2 per weight of every matrix a row passes
 * (counted here from the loaded matrices themselves, not from the config) plus attention's 4·qDim
 * per visible key; padding rows, the layers before a later start and the final layer's rows a
 * LAST_ONLY call skips are not counted.
 */
class FlopsTest {
    @Test
    void aPlainForwardCountsEveryWeightOfEveryLayerAndEveryKey() throws IOException {
        try (Transformer m = Transformer.load(Shared.path("golden", "llama-gqa"))) {
            ModelConfig c = m.config;
            int T = 7;
            double before = m.flops();
            m.forward(Forward.of(ids(T, 1)));
            double counted = m.flops() - before;
            double layers = 0;
            for (LayerWeights lw : m.weights.layers) layers += 2.0 * T * weights(lw);
            double attention = c.layers * 4.0 * c.qDim() * (T * (T + 1) / 2.0); // query t sees keys 0..t
            double head = 2.0 * T * size(m.weights.lmHead);
            assertThat(counted).isEqualTo(layers + attention + head);
            // bench's per-token figure is the same count with ctx / 2 keys per query on average, logits left out
            assertThat(Flops.perToken(c, T + 1) * T).isEqualTo(layers + attention);
        }
    }

    @Test
    void paddingLaterStartsAndSkippedRowsAreNotCounted() throws IOException {
        try (Transformer m = Transformer.load(Shared.path("golden", "llama"))) {
            int[] a = ids(5, 3), b = ids(3, 9);
            double one = count(m, Forward.of(a).logits(Transformer.Logits.LAST_ONLY))
                    + count(m, Forward.of(b).logits(Transformer.Logits.LAST_ONLY));
            Batches.Batch batch = Batches.of(List.of(a, b), 2).batches().getFirst();
            assertThat(batch.padding()).containsExactlyInAnyOrder(0, 2);
            assertThat(count(m, Forward.of(batch).logits(Transformer.Logits.LAST_ONLY))).as("left padding").isEqualTo(one);

            // LAST_ONLY: the final layer's query side runs for the last row only
            int T = a.length;
            LayerWeights last = m.weights.layers[m.config.layers - 1];
            double querySide = 2.0 * (size(last.wq) + size(last.wo) + size(last.wGate) + size(last.wUp) + size(last.wDown));
            double attentionOfOthers = 4.0 * m.config.qDim() * (T * (T + 1) / 2.0 - T);
            assertThat(count(m, Forward.of(a).logits(Transformer.Logits.LAST)) - count(m, Forward.of(a).logits(Transformer.Logits.LAST_ONLY)))
                    .isEqualTo((T - 1) * querySide + attentionOfOthers);

            // a start at layer 1 skips layer 0
            float[][] pre = new float[1][];
            m.forward(Forward.of(a).hooks(new Hooks().add("blocks.1.hook_resid_pre", x -> pre[0] = x.copy())));
            double full = count(m, Forward.of(a)), later = count(m, Forward.of(a).start(new Forward.Start(1, pre[0])));
            double layer0 = 2.0 * T * weights(m.weights.layers[0]) + 4.0 * m.config.qDim() * (T * (T + 1) / 2.0);
            assertThat(full - later).isEqualTo(layer0);
        }
    }

    private static double count(Transformer m, Forward f) {
        double before = m.flops();
        m.forward(f);
        return m.flops() - before;
    }

    private static double weights(LayerWeights lw) {
        return size(lw.wq) + size(lw.wk) + size(lw.wv) + size(lw.wo) + size(lw.wGate) + size(lw.wUp) + size(lw.wDown);
    }

    private static double size(Matrix w) {
        return (double) w.rows * w.cols;
    }

    private static int[] ids(int n, int seed) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = (seed * 31 + i * 17) % 200;
        return ids;
    }
}
