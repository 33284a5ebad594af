package dev.refusal4j.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A read-only row-major matrix [rows, cols] of weights in some {@link DType}, backed by a
 * {@link MemorySegment}: usually a slice of a memory-mapped safetensors file, so F32 weights are
 * never copied onto the Java heap and BF16/F16 are widened inside the kernels.
 * A 1-D tensor is a matrix with one row.
 */
public final class Matrix {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public final MemorySegment data; // rows * cols * dtype.bytes bytes, little-endian
    public final DType dtype;
    public final int rows;
    public final int cols;

    public Matrix(MemorySegment data, DType dtype, int rows, int cols) {
        if (data.byteSize() != (long) rows * cols * dtype.bytes) {
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
        long rowBytes = (long) cols * dtype.bytes;
        return new Matrix(data.asSlice(from * rowBytes, (to - from) * rowBytes), dtype, to - from, cols);
    }

    public float get(int r, int c) {
        long i = (long) r * cols + c;
        return switch (dtype) {
            case F32 -> data.getAtIndex(F32, i);
            case BF16 -> DType.bf16ToFloat(data.getAtIndex(I16, i));
            case F16 -> DType.f16ToFloat(data.getAtIndex(I16, i));
        };
    }

    /** Widens row r into dst[off .. off+cols). */
    public void row(int r, float[] dst, int off) {
        long base = (long) r * cols;
        switch (dtype) {
            case F32 -> MemorySegment.copy(data, F32, base * 4, dst, off, cols);
            case BF16 -> { for (int c = 0; c < cols; c++) dst[off + c] = DType.bf16ToFloat(data.getAtIndex(I16, base + c)); }
            case F16 -> { for (int c = 0; c < cols; c++) dst[off + c] = DType.f16ToFloat(data.getAtIndex(I16, base + c)); }
        }
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
