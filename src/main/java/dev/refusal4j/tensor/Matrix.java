package dev.refusal4j.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A read-only row-major matrix [rows, cols] of weights in some {@link DType}, backed by a
 * {@link MemorySegment}: usually a slice of a memory-mapped safetensors or GGUF file, so F32
 * weights are never copied onto the Java heap, and BF16/F16 and ggml blocks are widened inside
 * the kernels. A 1-D tensor is a matrix with one row. Element access ({@link #get}, {@link #row})
 * works for every dtype: a quantized row is dequantized on demand, as ggml's reference does.
 */
public final class Matrix {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public final MemorySegment data; // rows * dtype.bytes(cols) bytes, little-endian
    public final DType dtype;
    public final int rows;
    public final int cols;

    public Matrix(MemorySegment data, DType dtype, int rows, int cols) {
        if (rows < 0 || data.byteSize() != rows * dtype.bytes(cols)) {
            throw new IllegalArgumentException("segment of " + data.byteSize() + " bytes cannot hold "
                    + dtype + "[" + rows + ", " + cols + "]");
        }
        this.data = data;
        this.dtype = dtype;
        this.rows = rows;
        this.cols = cols;
    }

    /** Rows [from, to) as a matrix sharing this one's memory (used to split fused projections). */
    public Matrix rowSlice(int from, int to) {
        long rowBytes = rowBytes();
        return new Matrix(data.asSlice(from * rowBytes, (to - from) * rowBytes), dtype, to - from, cols);
    }

    /** Bytes of one row. */
    public long rowBytes() {
        return dtype.bytes(cols);
    }

    public float get(int r, int c) {
        long i = (long) r * cols + c;
        return switch (dtype) {
            case F32 -> data.getAtIndex(F32, i);
            case BF16 -> DType.bf16ToFloat(data.getAtIndex(I16, i));
            case F16 -> DType.f16ToFloat(data.getAtIndex(I16, i));
            default -> { // the block that holds it
                float[] block = new float[dtype.blockElements];
                int first = c - c % dtype.blockElements;
                Widen.row(this, r, first, block.length, block, 0);
                yield block[c - first];
            }
        };
    }

    /** Widens row r into dst[off .. off+cols). */
    public void row(int r, float[] dst, int off) {
        Widen.row(this, r, 0, cols, dst, off);
    }

    /** The whole matrix widened to a new F32 array (only for small tensors such as norms and biases). */
    public float[] toFloats() {
        float[] out = new float[Math.multiplyExact(rows, cols)];
        for (int r = 0; r < rows; r++) row(r, out, r * cols);
        return out;
    }

    public long elements() {
        return (long) rows * cols;
    }

    @Override
    public String toString() {
        return dtype + "[" + rows + ", " + cols + "]";
    }
}
