package dev.refusal4j.model;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * What {@link Transformer#runWithCache} kept of one forward call, as TransformerLens's
 * {@code run_with_cache} returns it: the logits, and a copy of the value at every hook point the
 * call's globs named, by name. A point's value is [batch, slots, width] (row-major, row b·slots + t
 * as {@link Activation} numbers them); an attention pattern is [batch, heads, slots, visible slots].
 * Each copy is taken after the call's own hooks ran at that point: what the model continued with.
 */
public final class ActivationCache {
    private record Entry(float[] data, long[] shape) {}

    private final int layers, heads;
    private final Map<String, Entry> entries = new LinkedHashMap<>(); // in firing order
    private float[] logits;

    ActivationCache(int layers, int heads) {
        this.layers = layers;
        this.heads = heads;
    }

    /** The hook that copies each activation it sees into this cache. */
    void keep(Activation a) {
        long[] shape = a.name.endsWith(Hooks.PATTERN)
                ? new long[] {a.batch, heads, a.seqLen / heads, a.width}
                : new long[] {a.batch, a.seqLen, a.width};
        entries.put(a.name, new Entry(a.copy(), shape));
    }

    void logits(float[] logits) {
        this.logits = logits;
    }

    /** The logits the call returned. */
    public float[] logits() {
        return logits;
    }

    /** The names held, in the order their points fired. */
    public Set<String> names() {
        return entries.keySet();
    }

    public boolean has(String name) {
        return entries.containsKey(name);
    }

    /** The value at {@code name}, e.g. {@code blocks.3.hook_resid_pre}: the cache's own array, not a copy. */
    public float[] get(String name) {
        return entry(name).data;
    }

    /** The value at a block's point, e.g. {@code get(3, Hooks.RESID_PRE)}. */
    public float[] get(int layer, String point) {
        return get(Hooks.blockName(layer, point));
    }

    /** The shape of the value at {@code name} (a new array). */
    public long[] shape(String name) {
        return entry(name).shape.clone();
    }

    /** A block point's value at every layer, [layer][...]; null at the layers the call did not run (before a later start). */
    public float[][] byLayer(String point) {
        float[][] out = new float[layers][];
        for (int l = 0; l < layers; l++) {
            Entry e = entries.get(Hooks.blockName(l, point));
            if (e != null) out[l] = e.data;
        }
        return out;
    }

    private Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) throw new IllegalArgumentException("no activation " + name + " in the cache; it holds " + (entries.isEmpty() ? "none" : summary()));
        return e;
    }

    private String summary() {
        String[] names = entries.keySet().toArray(String[]::new);
        return names.length <= 6 ? Arrays.toString(names)
                : names.length + " (" + names[0] + ", " + names[1] + ", …, " + names[names.length - 1] + ")";
    }
}
