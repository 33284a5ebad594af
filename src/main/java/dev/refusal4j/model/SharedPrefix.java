package dev.refusal4j.model;

import java.util.Arrays;
import java.util.List;

/**
 * Prompts cut after the tokens they all begin with (a chat template's text before the instruction:
 * Qwen's default system prompt is 24 tokens, more than half of a short prompt). The prefix runs once,
 * batch 1, and every batch continues from a copy of its KV cache with its own tokens right-padded
 * after it. Without a prefix worth a call of its own, the batches hold whole prompts, left-padded.
 */
public final class SharedPrefix {
    /** Below this many shared tokens a separate prefix pass is not worth its own forward call. */
    public static final int MIN = 4;

    public final int[] tokens;     // the shared tokens; empty: none
    public final Batches batches;  // what follows them, or whole prompts

    public SharedPrefix(List<int[]> prompts, int length, int batchSize) {
        this.tokens = length == 0 ? new int[0] : Arrays.copyOf(prompts.get(0), length);
        this.batches = length == 0 ? Batches.of(prompts, batchSize) : Batches.suffixes(prompts, length, batchSize);
    }

    /** The prefix length to share: every prompt keeps at least {@code keep} tokens of its own; 0 below {@link #MIN}. */
    public static int length(List<int[]> prompts, int keep) {
        int shortest = Integer.MAX_VALUE;
        for (int[] p : prompts) shortest = Math.min(shortest, p.length);
        int n = Math.min(Batches.commonPrefix(prompts), shortest - keep);
        return n >= MIN ? n : 0;
    }

    /**
     * The prefix's forward call (no logits), or null when there is none. It fills a new one-sequence
     * cache or, for a call with a later {@link Forward#start}, a copy of {@code base} (the baseline
     * prefix cache, whose earlier layers stay valid); after the call, {@link Forward#cache()} is what
     * {@link #cacheFor} continues from. The caller adds hooks or a start.
     */
    public Forward prefill(Transformer m, KvCache base) {
        if (tokens.length == 0) return null;
        KvCache c = base == null ? m.newCache(1, tokens.length) : base.copy();
        c.truncate(0);
        return Forward.of(tokens).cache(c).logits(Transformer.Logits.NONE);
    }

    /** Runs the prefix without hooks and returns its cache; null when there is none. */
    public KvCache run(Transformer m) {
        Forward f = prefill(m, null);
        if (f == null) return null;
        m.forward(f);
        return f.cache();
    }

    /** The cache a batch starts from: the prefix's, copied to each sequence (null without a prefix). */
    public KvCache cacheFor(KvCache prefix, Batches.Batch b) {
        return prefix == null ? null : KvCache.sharedPrefix(prefix, b.size(), tokens.length + b.slots());
    }
}
