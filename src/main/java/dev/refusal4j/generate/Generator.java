package dev.refusal4j.generate;

import dev.refusal4j.model.Batches;
import dev.refusal4j.model.Forward;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.KvCache;
import dev.refusal4j.model.Transformer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Continues a batch of prompts (token ids of different lengths) with left padding and a KV cache:
 * one prefill, then one decode step per token for all unfinished sequences together.
 */
public final class Generator {
    /** Called after each generated token; return false to stop that sequence (e.g. a stop string). */
    @FunctionalInterface
    public interface Listener {
        boolean onToken(int sequence, int tokenId);
    }

    private final Transformer model;

    public Generator(Transformer model) {
        this.model = model;
    }

    /**
     * @param prompts token ids of each sequence, left-padded here to a common length
     * @param stopIds ids that end a sequence (not included in the result)
     * @param hooks   applied to every forward call (prefill and each decode step), or null
     * @return the generated ids of each sequence
     */
    public List<int[]> generate(List<int[]> prompts, int maxNewTokens, int[] stopIds, SamplingOptions sampling,
                                Hooks hooks, Listener listener) {
        int B = prompts.size();
        int T = 0;
        for (int[] p : prompts) {
            if (p.length == 0) throw new IllegalArgumentException("empty prompt");
            T = Math.max(T, p.length);
        }
        int[][] tokens = new int[B][T];
        int[] pad = new int[B];
        for (int b = 0; b < B; b++) {
            int[] p = prompts.get(b);
            pad[b] = T - p.length;
            Arrays.fill(tokens[b], 0, pad[b], p[0]); // padding id is irrelevant: masked out
            System.arraycopy(p, 0, tokens[b], pad[b], p.length);
        }
        return generate(tokens, pad, maxNewTokens, stopIds, sampling, hooks, listener);
    }

    /** A batch already left-padded ({@link Batches#of}); results in the batch's order. */
    public List<int[]> generate(Batches.Batch batch, int maxNewTokens, int[] stopIds, SamplingOptions sampling, Hooks hooks, Listener listener) {
        return generate(batch.tokens(), batch.padding(), maxNewTokens, stopIds, sampling, hooks, listener);
    }

    private List<int[]> generate(int[][] tokens, int[] pad, int maxNewTokens, int[] stopIds, SamplingOptions sampling,
                                 Hooks hooks, Listener listener) {
        int B = tokens.length, V = model.config.vocab, T = tokens[0].length;
        int capacity = T + Math.max(0, maxNewTokens);
        if (capacity > model.config.maxPositions) {
            throw new IllegalArgumentException("prompt of " + T + " tokens + " + maxNewTokens + " new tokens exceeds the model's context of " + model.config.maxPositions);
        }
        for (int b = 0; b < B; b++) for (int i = pad[b]; i < T; i++) model.config.requireTokenId(tokens[b][i]); // before the samplers index by id
        Sampler[] samplers = new Sampler[B];
        for (int b = 0; b < B; b++) {
            samplers[b] = new Sampler(sampling, V, b);
            for (int i = pad[b]; i < T; i++) samplers[b].observe(tokens[b][i]);
        }
        int[][] out = new int[B][Math.max(0, maxNewTokens)]; // generated ids, out[b][0 .. count[b])
        int[] count = new int[B];
        boolean[] done = new boolean[B];
        if (maxNewTokens <= 0) return collect(out, count);
        KvCache cache = model.newCache(B, capacity);
        // without hooks nobody looks at the final layer's other rows: skip them (LAST_ONLY)
        float[] logits = model.forward(Forward.of(tokens).padding(pad).cache(cache).hooks(hooks)
                .logits(hooks == null ? Transformer.Logits.LAST_ONLY : Transformer.Logits.LAST));
        int[][] step = new int[B][1]; // rewritten in place: one request and one logits buffer serve every step
        Forward decode = Forward.of(step).cache(cache).hooks(hooks).logits(Transformer.Logits.LAST).into(new float[B * V]);
        for (int t = 0; t < maxNewTokens; t++) {
            boolean any = false;
            for (int b = 0; b < B; b++) {
                if (done[b]) continue;
                int id = samplers[b].next(logits, b * V);
                if (contains(stopIds, id)) {
                    done[b] = true;
                    continue;
                }
                out[b][count[b]++] = id;
                samplers[b].observe(id);
                step[b][0] = id;
                if (listener != null && !listener.onToken(b, id)) done[b] = true;
                else any = true;
            }
            if (!any || t == maxNewTokens - 1) break;
            // finished sequences keep decoding a dummy token so the batch stays rectangular
            logits = model.forward(decode);
        }
        return collect(out, count);
    }

    private static boolean contains(int[] ids, int id) {
        if (ids != null) for (int s : ids) if (s == id) return true;
        return false;
    }

    private static List<int[]> collect(int[][] out, int[] count) {
        List<int[]> r = new ArrayList<>();
        for (int b = 0; b < out.length; b++) r.add(Arrays.copyOf(out[b], count[b]));
        return r;
    }
}
