package dev.refusal4j.io.gguf;

import dev.refusal4j.tensor.quant.GgmlType;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file mapped for its tensors ({@link GgufReader#open}): the header, and each tensor's bytes
 * as a slice of the mapping (nothing is copied onto the heap until a tensor is dequantized). Every
 * tensor was checked to lie inside the file.
 */
public final class MappedGguf {
    private final GgufFile header;
    private final MemorySegment mapped;
    private final Map<String, GgufTensorInfo> byName = new LinkedHashMap<>();

    MappedGguf(GgufFile header, MemorySegment mapped) {
        this.header = header;
        this.mapped = mapped;
        for (GgufTensorInfo t : header.tensors()) byName.put(t.name(), t);
    }

    public GgufFile header() {
        return header;
    }

    public Path path() {
        return header.path();
    }

    public List<GgufTensorInfo> tensors() {
        return header.tensors();
    }

    public boolean has(String name) {
        return byName.containsKey(name);
    }

    /** The tensor named so, which must exist. */
    public GgufTensorInfo tensor(String name) {
        GgufTensorInfo t = byName.get(name);
        if (t == null) throw new GgufException(path() + ": no tensor " + GgufReader.quote(name));
        return t;
    }

    /** The tensor's bytes, a slice of the mapping: its blocks as ggml lays them out. */
    public MemorySegment data(GgufTensorInfo t) {
        return mapped.asSlice(header.dataOffset() + t.offset(), t.bytes());
    }

    /** Row {@code row} of the tensor (rows are dims[0] long) as floats, into {@code dst[dstOffset..]}. */
    public void dequantizeRow(GgufTensorInfo t, long row, float[] dst, int dstOffset) {
        if (row < 0 || row >= t.rows()) throw new IndexOutOfBoundsException("row " + row + " of " + t.name() + " with " + t.rows() + " rows");
        checkDequantizable(t);
        t.type().dequantizeRow(mapped, header.dataOffset() + t.offset() + row * t.rowBytes(), dst, dstOffset, (int) t.rowLength());
    }

    /** The whole tensor as floats, in ggml's order (dims[0] fastest). */
    public float[] dequantize(GgufTensorInfo t) {
        checkDequantizable(t);
        if (t.elements() > Integer.MAX_VALUE - 8) {
            throw new GgufException(path() + ": tensor " + GgufReader.quote(t.name()) + " has " + t.elements() + " elements, too many for one float array; read it by rows");
        }
        float[] out = new float[(int) t.elements()];
        int n = (int) t.rowLength();
        for (long r = 0, rows = t.rows(); r < rows; r++) dequantizeRow(t, r, out, (int) (r * n));
        return out;
    }

    private void checkDequantizable(GgufTensorInfo t) {
        if (!t.type().dequantizable()) {
            throw new GgufException(path() + ": tensor " + GgufReader.quote(t.name()) + " is " + t.type().ggmlName
                    + ", which refusal4j cannot dequantize (it reads " + GgmlType.dequantizableNames() + ")");
        }
        if (t.rowLength() > Integer.MAX_VALUE - 8) {
            throw new GgufException(path() + ": tensor " + GgufReader.quote(t.name()) + " has rows of " + t.rowLength() + " elements, too long for a float array");
        }
    }
}
