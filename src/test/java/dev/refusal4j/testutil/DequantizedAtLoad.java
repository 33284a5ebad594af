package dev.refusal4j.testutil;

import dev.refusal4j.io.ModelFormatException;
import dev.refusal4j.io.TensorSource;
import dev.refusal4j.tensor.DType;
import dev.refusal4j.tensor.Matrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * A model's weights with every quantized matrix dequantized to F32 when taken, by ggml's reference
 * dequantizer ({@code GgmlType.dequantizeRow}), as refusal4j ran every quantized GGUF before its
 * block kernels: the baseline that multiplying blocks in place must agree with.
 */
public final class DequantizedAtLoad implements TensorSource {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private final TensorSource inner;
    private final Arena arena = Arena.ofShared();

    public DequantizedAtLoad(TensorSource inner) {
        this.inner = inner;
    }

    @Override
    public Matrix matrix(String name, long... expected) {
        Matrix m = inner.matrix(name, expected);
        if (!m.dtype.quantized()) return m;
        MemorySegment out = arena.allocate((long) m.rows * m.cols * 4, 64);
        float[] row = new float[m.cols];
        for (int r = 0; r < m.rows; r++) {
            m.dtype.ggml.dequantizeRow(m.data, r * m.rowBytes(), row, 0, m.cols);
            MemorySegment.copy(row, 0, out, F32, (long) r * m.cols * 4, m.cols);
        }
        return new Matrix(out, DType.F32, m.rows, m.cols);
    }

    @Override public Path path() { return inner.path(); }
    @Override public Iterable<String> names() { return inner.names(); }
    @Override public boolean has(String name) { return inner.has(name); }
    @Override public float[] floats(String name, long... expected) { return inner.floats(name, expected); }
    @Override public ModelFormatException unexpected(String name, String context) { return inner.unexpected(name, context); }
    @Override public void requireFinite() { inner.requireFinite(); }

    @Override
    public void close() {
        inner.close();
        arena.close();
    }
}
