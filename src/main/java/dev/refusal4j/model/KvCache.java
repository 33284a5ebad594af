package dev.refusal4j.model;

/**
 * Keys and values of every layer for a batch, on a shared timeline of slots: sequence b's first
 * {@code padding[b]} slots are left padding and never attended to. Keys are stored after RoPE. A
 * layer's arrays are allocated when a forward call first writes it, so a cache used one layer at a
 * time ({@link LayerSweep}) holds one layer.
 */
public final class KvCache {
    public final int batch;
    public final int capacity;      // slots per sequence
    public final int kvDim;
    final float[][] k;              // (layers, batch * capacity * kvDim); null: a layer not written yet
    final float[][] v;              // (layers, batch * capacity * kvDim)
    private final int perLayer;
    int[] padding;                  // (batch)
    int length;                     // slots filled so far

    public KvCache(int layers, int batch, int capacity, int kvDim) {
        this.batch = batch;
        this.capacity = capacity;
        this.kvDim = kvDim;
        long per = (long) batch * capacity * kvDim;
        if (per > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("KV cache of " + batch + " × " + capacity + " slots is too large; use a smaller batch");
        perLayer = (int) per;
        k = new float[layers][];
        v = new float[layers][];
    }

    /** Layer {@code l}'s keys and values, allocated on first use: {keys, values}. */
    float[][] layer(int l) {
        if (k[l] == null) {
            k[l] = new float[perLayer];
            v[l] = new float[perLayer];
        }
        return new float[][] {k[l], v[l]};
    }


    /**
     * A cache for {@code batch} sequences that all begin with the slots of {@code one} (a one-sequence
     * cache holding a shared prefix, no padding): their keys and values are copied into every sequence,
     * so the prefix is computed once for a whole batch. Later calls append each sequence's own tokens.
     */
    public static KvCache sharedPrefix(KvCache one, int batch, int capacity) {
        if (one.batch != 1) throw new IllegalArgumentException("a shared prefix comes from a one-sequence cache, not " + one.batch);
        if (one.padding != null && one.padding[0] != 0) throw new IllegalArgumentException("a shared prefix has no padding");
        if (capacity < one.length) throw new IllegalArgumentException("capacity " + capacity + " is below the prefix of " + one.length);
        KvCache c = new KvCache(one.k.length, batch, capacity, one.kvDim);
        int n = one.length * one.kvDim;
        for (int l = 0; l < one.k.length; l++) {
            if (one.k[l] == null) continue;
            c.layer(l);
            for (int b = 0; b < batch; b++) {
                System.arraycopy(one.k[l], 0, c.k[l], b * capacity * one.kvDim, n);
                System.arraycopy(one.v[l], 0, c.v[l], b * capacity * one.kvDim, n);
            }
        }
        c.padding = new int[batch];
        c.length = one.length;
        return c;
    }

    /** Sequence {@code index} of {@code cache}; a null cache stands for a sequence with no slots yet. */
    public record Row(KvCache cache, int index) {
        int slots() {
            return cache == null ? 0 : cache.length - cache.padding[index];
        }
    }

    /**
     * A cache for a new batch made of sequences of other caches (a batch that some sequences leave
     * and others join): each row's real slots are copied, right-aligned on the new timeline, so
     * every sequence has as much left padding as it is shorter than the longest. Exact: a key was
     * rotated by its position, which is its slot less its padding, and the copy keeps both apart by
     * the same amount; attention never reads padding. Later calls append one slot per sequence as
     * before.
     */
    public static KvCache gather(java.util.List<Row> rows, int capacity) {
        if (rows.isEmpty()) throw new IllegalArgumentException("no rows to gather");
        KvCache shape = null;
        int length = 0;
        for (Row r : rows) {
            if (r.cache == null) continue;
            if (r.index < 0 || r.index >= r.cache.batch) throw new IllegalArgumentException("row " + r.index + " of a batch of " + r.cache.batch);
            if (shape != null && (r.cache.k.length != shape.k.length || r.cache.kvDim != shape.kvDim)) {
                throw new IllegalArgumentException("rows of caches of different models");
            }
            shape = r.cache;
            length = Math.max(length, r.slots());
        }
        if (shape == null) throw new IllegalArgumentException("no row has a cache to take the layer shapes from");
        if (capacity < length) throw new IllegalArgumentException("capacity " + capacity + " is below the longest row's " + length + " slots");
        KvCache c = new KvCache(shape.k.length, rows.size(), capacity, shape.kvDim);
        c.padding = new int[rows.size()];
        c.length = length;
        for (int b = 0; b < rows.size(); b++) {
            Row r = rows.get(b);
            int n = r.slots();
            c.padding[b] = length - n;
            if (n == 0) continue;
            int from = (r.index * r.cache.capacity + r.cache.padding[r.index]) * shape.kvDim;
            int to = (b * capacity + c.padding[b]) * shape.kvDim;
            for (int l = 0; l < shape.k.length; l++) {
                if (r.cache.k[l] == null) continue;
                c.layer(l);
                System.arraycopy(r.cache.k[l], from, c.k[l], to, n * shape.kvDim);
                System.arraycopy(r.cache.v[l], from, c.v[l], to, n * shape.kvDim);
            }
        }
        return c;
    }

    /** An independent copy with the same contents and length. */
    public KvCache copy() {
        KvCache c = new KvCache(k.length, batch, capacity, kvDim);
        for (int l = 0; l < k.length; l++) {
            if (k[l] == null) continue;
            c.layer(l);
            System.arraycopy(k[l], 0, c.k[l], 0, k[l].length);
            System.arraycopy(v[l], 0, c.v[l], 0, v[l].length);
        }
        c.padding = padding == null ? null : padding.clone();
        c.length = length;
        return c;
    }

    /**
     * Forgets the slots from {@code length} on, so they can be computed again (for example from a later
     * layer, keeping the earlier layers' entries, which a later start does not rewrite).
     */
    public void truncate(int length) {
        if (length < 0 || length > this.length) throw new IllegalArgumentException("cannot truncate " + this.length + " slots to " + length);
        this.length = length;
    }

    public int length() {
        return length;
    }

    public int[] padding() {
        return padding.clone();
    }

    /** Forgets everything (for reuse with a new batch of the same size). */
    public void reset() {
        length = 0;
        padding = null;
    }
}
