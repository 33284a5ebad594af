package dev.refusal4j.model;

import dev.refusal4j.model.Transformer.Logits;

/**
 * One forward call of a {@link Transformer}: the tokens, and everything else that has a default.
 * <pre>
 *   float[] all  = model.forward(Forward.of(ids));                             // [T × vocab]
 *   float[] next = model.forward(Forward.of(ids).hooks(h).logits(Logits.LAST)); // [vocab]
 *   float[] step = model.forward(Forward.of(batch).cache(kv).logits(Logits.LAST).into(buffer));
 * </pre>
 * Each setter returns a new request, so one can be built once and varied. A request holds
 * references, not copies: its arrays are read when the call runs (a decoding loop builds its step
 * request once and rewrites the token array in place).
 */
public final class Forward {
    /**
     * A later start: layer {@code layer}'s resid_pre is given ([batch × slots, hidden], as an earlier
     * call's hook saw it), so the embedding and the layers before it are skipped — their hooks do not
     * fire and their cache entries are not written. Interventions that change nothing before a layer
     * (activation addition) use it to avoid recomputing what they cannot change.
     */
    public record Start(int layer, float[] residPre) {}

    /**
     * An early stop: the call runs the layers before {@code layer} only and copies the residual stream
     * after them (layer {@code layer}'s resid_pre) into {@code residOut}; no final norm, no logits.
     * With {@link Start} a call can run any range of layers: {@link LayerSweep} runs them one at a time.
     */
    public record Until(int layer, float[] residOut) {}

    final int[][] tokens;
    final int[] padding;
    final KvCache cache;
    final Hooks hooks;
    final Logits logits;
    final int[] lastSlots;
    final Start start;
    final float[] into;
    final Until until;

    private Forward(int[][] tokens, int[] padding, KvCache cache, Hooks hooks, Logits logits, int[] lastSlots, Start start, float[] into) {
        this(tokens, padding, cache, hooks, logits, lastSlots, start, into, null);
    }

    private Forward(int[][] tokens, int[] padding, KvCache cache, Hooks hooks, Logits logits, int[] lastSlots, Start start, float[] into, Until until) {
        this.until = until;
        this.tokens = tokens;
        this.padding = padding;
        this.cache = cache;
        this.hooks = hooks;
        this.logits = logits;
        this.lastSlots = lastSlots;
        this.start = start;
        this.into = into;
    }

    /** One sequence of token ids; every other setting at its default (all logits, no hooks, no cache). */
    public static Forward of(int[] ids) {
        return of(new int[][] {ids});
    }

    /** A batch of sequences, [batch][slots] (rectangular). */
    public static Forward of(int[][] tokens) {
        if (tokens == null || tokens.length == 0) throw new IllegalArgumentException("a forward call needs at least one sequence");
        return new Forward(tokens, null, null, Hooks.NONE, Logits.ALL, null, null, null);
    }

    /** A batch of prompts: its tokens, its left padding and each sequence's last real slot. */
    public static Forward of(Batches.Batch batch) {
        return of(batch.tokens()).padding(batch.padding()).lastSlots(batch.last());
    }

    /**
     * On the first call of a cache, sequence b's first {@code padding[b]} slots are left padding (any
     * id); later calls with the same cache append slots and ignore it. Positions count from each
     * sequence's first real token, as Hugging Face does with left padding. Default: none.
     */
    public Forward padding(int[] padding) {
        return new Forward(tokens, padding, cache, hooks, logits, lastSlots, start, into, until);
    }

    /** Keys and values to extend (prefill, then one call per decoded token). Default: a new cache for this call only. */
    public Forward cache(KvCache cache) {
        return new Forward(tokens, padding, cache, hooks, logits, lastSlots, start, into, until);
    }

    /** Hooks to fire at the points they name. Default: none. */
    public Forward hooks(Hooks hooks) {
        return new Forward(tokens, padding, cache, hooks == null ? Hooks.NONE : hooks, logits, lastSlots, start, into, until);
    }

    /** Which logits the call returns. Default: {@link Logits#ALL}. */
    public Forward logits(Logits which) {
        if (which == null) throw new IllegalArgumentException("which logits: ALL, LAST, LAST_ONLY or NONE, not null");
        return new Forward(tokens, padding, cache, hooks, which, lastSlots, start, into, until);
    }

    /**
     * Sequence b's last real slot in this call: its logits for {@link Logits#LAST}, and the slots after
     * it are right padding, which the linear layers skip (their activations are zero, meaningless to
     * hooks). Default: the last slot, no right padding.
     */
    public Forward lastSlots(int[] lastSlots) {
        return new Forward(tokens, padding, cache, hooks, logits, lastSlots, start, into, until);
    }

    /** Where the call stops; null (the default): after the last layer, with the logits asked for. */
    public Forward until(Until until) {
        return new Forward(tokens, padding, cache, hooks, logits, lastSlots, start, into, until);
    }

    /** Where the call starts; null (the default): at the embedding. */
    public Forward start(Start start) {
        return new Forward(tokens, padding, cache, hooks, logits, lastSlots, start, into, until);
    }

    /**
     * Writes {@link Logits#LAST} / {@link Logits#LAST_ONLY} logits into {@code buffer} (at least batch
     * × vocab floats) and returns it: a decoding loop reuses one buffer rather than allocating a
     * vocabulary-sized array per token. Default: a new array.
     */
    public Forward into(float[] buffer) {
        return new Forward(tokens, padding, cache, hooks, logits, lastSlots, start, buffer, until);
    }

    /** The cache this request extends, or null when the call makes its own. */
    public KvCache cache() {
        return cache;
    }
}
