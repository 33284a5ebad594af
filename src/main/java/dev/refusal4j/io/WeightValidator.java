package dev.refusal4j.io;

import dev.refusal4j.tensor.DType;
import dev.refusal4j.tensor.Matrix;
import dev.refusal4j.tensor.Parallel;

import java.util.concurrent.atomic.AtomicLong;

/** Scans float tensors for NaN and infinities (on request: it reads every byte of the model). */
public final class WeightValidator {
    private WeightValidator() {}

    /** Throws a {@link ModelFormatException} naming the first tensor (in name order) that holds a NaN or Inf. */
    public static void requireFinite(ModelFiles files) {
        for (String name : files.names()) {
            TensorInfo t = files.info(name);
            DType dt = DType.fromSafetensors(t.dtype());
            if (dt == null || t.elements() == 0) continue;
            long n = t.elements();
            int cols = t.shape().length == 0 ? 1 : Math.toIntExact(t.shape()[t.shape().length - 1]);
            long rowsL = n / cols;
            Matrix m = new Matrix(files.segment(name), dt, (int) rowsL, cols);
            AtomicLong bad = new AtomicLong(-1);
            final int c = cols;
            Parallel.forRange(m.rows, 1, (r0, r1) -> {
                float[] buf = new float[c];
                for (int r = r0; r < r1 && bad.get() < 0; r++) {
                    m.row(r, buf, 0);
                    for (int i = 0; i < c; i++) {
                        if (!Float.isFinite(buf[i])) {
                            bad.compareAndSet(-1, (long) r * c + i);
                            break;
                        }
                    }
                }
            });
            if (bad.get() >= 0) {
                long i = bad.get();
                float v = m.get((int) (i / cols), (int) (i % cols));
                throw new ModelFormatException(t.file(), "tensor '" + name + "' holds " + v + " at flat index " + i + " (shape " + t.shapeString() + ")");
            }
        }
    }
}
