package dev.refusal4j.io.gguf;

import dev.refusal4j.tensor.quant.GgmlType;

/**
 * Where a tensor lies in a GGUF file. The reader has checked that its element and byte counts fit
 * a long and that its rows are whole blocks of its type.
 *
 * @param dims   sizes, innermost first (GGUF's order: dims[0] is the row length; no dims: a scalar)
 * @param type   its ggml type
 * @param offset byte offset relative to the start of the tensor data section
 */
public record GgufTensorInfo(String name, long[] dims, GgmlType type, long offset) {

    public long elements() {
        long n = 1;
        for (long d : dims) n *= d;
        return n;
    }

    /** Elements in a row (dims[0]; 1 for a scalar). */
    public long rowLength() {
        return dims.length == 0 ? 1 : dims[0];
    }

    /** Rows: the product of every dimension after the first (0 when a row is empty). */
    public long rows() {
        return rowLength() == 0 ? 0 : elements() / rowLength();
    }

    public long rowBytes() {
        return type.bytes(rowLength());
    }

    public long bytes() {
        return type.bytes(elements());
    }

    /** The shape as ggml prints it, innermost first: [4096, 32000]. */
    public String shape() {
        return shape(dims, dims.length);
    }

    static String shape(long[] dims, int n) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < n; i++) b.append(i > 0 ? ", " : "").append(dims[i]);
        return b.append(']').toString();
    }
}
