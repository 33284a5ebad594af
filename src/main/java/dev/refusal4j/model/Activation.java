package dev.refusal4j.model;

/**
 * The value at a hook point for the current forward call: {@code rows} = batch × positions
 * (row r is sequence r / seqLen, slot r % seqLen; left padding sits in the first slots), each
 * {@code width} floats. A hook may read it and may replace any part of it by writing; the model
 * continues with what the hook left. The view is closed when the hook returns: the model updates
 * its buffers in place afterwards, so a hook that wants to keep values must {@link #copy()} them.
 */
public final class Activation {
    public final String name;
    public final int layer;      // -1 for points outside the blocks
    public final int batch;
    public final int seqLen;     // slots in this call (1 per step when decoding with a cache)
    public final int width;
    public final int[] padding;  // per sequence: number of left-padding slots in the whole timeline
    public final int startSlot;  // timeline slot of this call's first position (0 for prefill)
    private float[] data;
    private int offset;

    Activation(String name, int layer, int batch, int seqLen, int width, int[] padding, int startSlot) {
        this.name = name;
        this.layer = layer;
        this.batch = batch;
        this.seqLen = seqLen;
        this.width = width;
        this.padding = padding;
        this.startSlot = startSlot;
    }

    void open(float[] data, int offset) {
        this.data = data;
        this.offset = offset;
    }

    void close() {
        this.data = null;
    }

    private float[] d() {
        if (data == null) throw new IllegalStateException("activation " + name + " used after its hook returned; copy() it inside the hook");
        return data;
    }

    public int rows() {
        return batch * seqLen;
    }

    /** Index of the row for sequence b at this call's position t. */
    public int row(int b, int t) {
        return b * seqLen + t;
    }

    public float get(int row, int i) {
        return d()[offset + row * width + i];
    }

    public void set(int row, int i, float v) {
        d()[offset + row * width + i] = v;
    }

    /** The backing array and the offset of row 0: for bulk kernels, valid only during the hook. */
    public float[] array() {
        return d();
    }

    public int offset() {
        d();
        return offset;
    }

    /** A snapshot of all rows, [rows × width]. */
    public float[] copy() {
        float[] out = new float[rows() * width];
        System.arraycopy(d(), offset, out, 0, out.length);
        return out;
    }

    /** A snapshot of one row. */
    public float[] copyRow(int row) {
        float[] out = new float[width];
        System.arraycopy(d(), offset + row * width, out, 0, width);
        return out;
    }
}
