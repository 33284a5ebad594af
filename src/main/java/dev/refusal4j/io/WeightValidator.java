package dev.refusal4j.io;

import dev.refusal4j.tensor.DType;
import dev.refusal4j.tensor.Matrix;
import dev.refusal4j.tensor.Parallel;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/** Scans float tensors for NaN and infinities (on request: it reads every byte of the model). */
public final class WeightValidator {
    private WeightValidator() {}

    /** Reads row {@code row} of a tensor, widened to floats, into {@code dst[0..cols)}. */
    @FunctionalInterface
    public interface RowReader {
        void read(long row, float[] dst);
    }

    /** Throws a {@link ModelFormatException} naming the first tensor (in name order) that holds a NaN or Inf. */
    public static void requireFinite(TensorSource weights) {
        weights.requireFinite();
    }

    /** The safetensors tensors of a folder, each in its stored dtype (others are not weights the model reads). */
    static void requireFinite(ModelFiles files) {
        for (String name : files.names()) {
            TensorInfo t = files.info(name);
            DType dt = DType.fromSafetensors(t.dtype());
            if (dt == null || t.elements() == 0) continue;
            int cols = t.shape().length == 0 ? 1 : Math.toIntExact(t.shape()[t.shape().length - 1]);
            Matrix m = new Matrix(files.segment(name), dt, (int) (t.elements() / cols), cols);
            requireFinite(t.file(), "tensor '" + name + "'", t.shapeString(), m.rows, cols, (r, buf) -> m.row((int) r, buf, 0));
        }
    }

    /**
     * Reads the {@code rows} rows of {@code cols} floats of one tensor (on every core) and throws a
     * {@link ModelFormatException} naming {@code file}, {@code what} and the first non-finite value's
     * flat index when there is one.
     */
    public static void requireFinite(Path file, String what, String shape, long rows, int cols, RowReader reader) {
        AtomicLong bad = new AtomicLong(-1);
        float[] value = new float[1];
        Parallel.forRange(Math.toIntExact(rows), 1, (r0, r1) -> {
            float[] buf = new float[cols];
            for (int r = r0; r < r1 && bad.get() < 0; r++) {
                reader.read(r, buf);
                for (int i = 0; i < cols; i++) {
                    if (!Float.isFinite(buf[i])) {
                        if (bad.compareAndSet(-1, (long) r * cols + i)) value[0] = buf[i];
                        break;
                    }
                }
            }
        });
        if (bad.get() >= 0) {
            throw new ModelFormatException(file, what + " holds " + value[0] + " at flat index " + bad.get() + " (shape " + shape + ")");
        }
    }
}
