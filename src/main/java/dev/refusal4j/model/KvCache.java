package dev.refusal4j.model;

/**
 * Keys and values of every layer for a batch, on a shared timeline of slots: sequence b's first
 * {@code padding[b]} slots are left padding and never attended to. Keys are stored after RoPE.
 */
public final class KvCache {
    public final int batch;
    public final int capacity;      // slots per sequence
    public final int kvDim;
    final float[][] k;              // (layers, batch * capacity * kvDim)
    final float[][] v;              // (layers, batch * capacity * kvDim)
    int[] padding;                  // (batch)
    int length;                     // slots filled so far

    public KvCache(int layers, int batch, int capacity, int kvDim) {
        this.batch = batch;
        this.capacity = capacity;
        this.kvDim = kvDim;
        long per = (long) batch * capacity * kvDim;
        if (per > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("KV cache of " + batch + " × " + capacity + " slots is too large; use a smaller batch");
        k = new float[layers][(int) per];
        v = new float[layers][(int) per];
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
