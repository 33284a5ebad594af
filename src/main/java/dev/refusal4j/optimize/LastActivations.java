package dev.refusal4j.optimize;

import dev.refusal4j.model.Batches;
import dev.refusal4j.model.Forward;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.Transformer;

import java.util.List;

/**
 * Each prompt's resid_pre at its last token (position −1, where the model decides how to answer)
 * at every layer: {@code [prompt][layer][d]}. Kept per prompt, not summed, because the
 * directions beyond the first are principal components of the per-prompt differences.
 */
public final class LastActivations {
    private LastActivations() {}

    public static float[][][] residPre(Transformer m, List<int[]> prompts, int batchSize) {
        int L = m.config.layers, d = m.config.hidden;
        float[][][] out = new float[prompts.size()][L][];
        for (Batches.Batch b : Batches.of(prompts, batchSize).batches()) {
            int[] last = b.last(), idx = b.indices();
            Hooks h = new Hooks().add("blocks.*." + Hooks.RESID_PRE, a -> {
                for (int s = 0; s < a.batch; s++) out[idx[s]][a.layer] = a.copyRow(a.row(s, last[s]));
            });
            m.forward(Forward.of(b).hooks(h).logits(Transformer.Logits.NONE));
        }
        for (float[][] p : out) for (float[] v : p) if (v == null || v.length != d) throw new IllegalStateException("a layer's resid_pre hook did not fire");
        return out;
    }
}
