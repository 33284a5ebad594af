package dev.refusal4j.attack;

import dev.refusal4j.model.Forward;
import dev.refusal4j.model.KvCache;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tensor.LogSoftmax;

import java.util.Arrays;
import java.util.List;

/** The loss GCG ranks candidate suffixes by: the target's mean cross-entropy per prompt, summed over the prompts. */
public final class TargetLosses {
    private static final long LOGIT_FLOATS_PER_CALL = 1L << 25; // 128 MiB of logits per batched forward

    private TargetLosses() {}

    /**
     * The summed target loss over the prompts of each suffix (all of one length), by batched forward
     * passes. A prompt's tokens before the suffix are the same in every candidate: they run once, and
     * each batch continues from a copy of their KV cache. The last target token is never an input (no
     * logits after it count), so with a one-token target each sequence needs the logits of its last
     * row only.
     */
    public static double[] of(Transformer model, List<AttackPrompt> prompts, List<int[]> suffixes) {
        double[] out = new double[suffixes.size()];
        int V = model.config.vocab;
        int n = suffixes.get(0).length;
        for (AttackPrompt p : prompts) {
            int head = p.suffixStart(), targets = p.target().length;
            KvCache prefix = model.newCache(1, head);
            model.forward(Forward.of(p.before()).cache(prefix).logits(Transformer.Logits.NONE));
            int T = p.withTarget(suffixes.get(0)).length - 1 - head; // rows run per candidate
            boolean lastOnly = targets == 1;
            int rows = lastOnly ? 1 : T;
            int chunk = (int) Math.max(1, Math.min(suffixes.size(), LOGIT_FLOATS_PER_CALL / ((long) rows * V)));
            for (int s = 0; s < suffixes.size(); s += chunk) {
                int m = Math.min(chunk, suffixes.size() - s);
                int[][] tokens = new int[m][];
                for (int j = 0; j < m; j++) tokens[j] = Arrays.copyOfRange(p.withTarget(suffixes.get(s + j)), head, head + T);
                float[] logits = model.forward(Forward.of(tokens).cache(KvCache.sharedPrefix(prefix, m, head + T))
                        .logits(lastOnly ? Transformer.Logits.LAST_ONLY : Transformer.Logits.ALL));
                for (int j = 0; j < m; j++) {
                    double ce = 0;
                    for (int t = 0; t < targets; t++) {
                        int off = (j * rows + rows - targets + t) * V; // the last `targets` rows predict the targets
                        double max = LogSoftmax.max(logits, off, V);
                        double logZ = max + Math.log(LogSoftmax.sumExp(logits, off, V, max));
                        ce += logZ - logits[off + p.target()[t]];
                    }
                    out[s + j] += ce / targets;
                }
            }
        }
        return out;
    }
}
