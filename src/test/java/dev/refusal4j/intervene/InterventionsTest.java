package dev.refusal4j.intervene;

import dev.refusal4j.model.Forward;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tensor.UnitVector;
import dev.refusal4j.testutil.Shared;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class InterventionsTest {
    static final int[] IDS = {3, 14, 15, 92, 65, 35, 89, 79};

    static float[] randomUnit(int d, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[d];
        for (int i = 0; i < d; i++) v[i] = (float) r.nextGaussian();
        return UnitVector.of(v, "a random vector");
    }

    @Test
    void ablationRemovesTheDirectionFromEveryResidualValue() throws IOException {
        try (Transformer m = Transformer.load(Shared.path("golden", "llama-gqa"))) {
            int d = m.config.hidden;
            float[] u = randomUnit(d, 5);
            double[] worst = {0};
            Hooks h = Interventions.ablate(new Hooks(), u);
            // observers registered after the ablation hooks see the ablated values
            h.add("blocks.*.hook_resid_*", a -> {
                for (int r = 0; r < a.rows(); r++) {
                    double dot = 0, norm = 0;
                    for (int i = 0; i < d; i++) { dot += a.get(r, i) * u[i]; norm += a.get(r, i) * a.get(r, i); }
                    worst[0] = Math.max(worst[0], Math.abs(dot) / Math.sqrt(norm));
                }
            });
            m.forward(Forward.of(IDS).hooks(h).logits(Transformer.Logits.NONE));
            System.out.printf("max |r̂·x| / |x| under ablation: %.2e%n", worst[0]);
            assertThat(worst[0]).isLessThan(1e-6);
        }
    }

    @Test
    void additionAddsTheVectorAtOneLayerOnly() throws IOException {
        try (Transformer m = Transformer.load(Shared.path("golden", "llama-gqa"))) {
            int d = m.config.hidden;
            float[] r = randomUnit(d, 9);
            for (int i = 0; i < d; i++) r[i] *= 3f;
            Forward f = Forward.of(IDS).logits(Transformer.Logits.NONE);
            float[][] base = m.runWithCache(f, "blocks.*.hook_resid_pre").byLayer(Hooks.RESID_PRE);
            // the cache copies what the call's own hooks leave
            float[][] steered = m.runWithCache(f.hooks(Interventions.add(new Hooks(), r, 1f, 1)), "blocks.*.hook_resid_pre").byLayer(Hooks.RESID_PRE);
            assertThat(steered[0]).containsExactly(base[0]);
            for (int row = 0; row < IDS.length; row++) {
                for (int i = 0; i < d; i++) assertThat(steered[1][row * d + i]).isCloseTo(base[1][row * d + i] + r[i], org.assertj.core.data.Offset.offset(1e-6f));
            }
            assertThat(steered[2]).isNotEqualTo(base[2]);
        }
    }
}
