package dev.refusal4j.export;

import dev.refusal4j.intervene.PartialAblation;
import dev.refusal4j.io.ModelFormatException;
import dev.refusal4j.io.TensorSource;
import dev.refusal4j.model.ModelConfig;
import dev.refusal4j.model.TensorNames;
import dev.refusal4j.tensor.DType;
import dev.refusal4j.tensor.Matrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model's weights with a {@link PartialAblation} applied to its attention and MLP output
 * projections (and their biases), in memory: the rest is the source's, unchanged. A
 * {@code new Transformer(dir, config, edited)} runs the edited model without writing it, which is
 * how a norm-preserving edit, having no run-time hook, is evaluated; {@link PartialExport} writes
 * the same edited values in the source's dtype. Edited tensors are float64 during the edit and
 * F32 here. Closing this frees only the edited tensors, never the source.
 */
public final class EditedWeights implements TensorSource {
    private final TensorSource base;
    private final Arena arena = Arena.ofShared();
    private final Map<String, Matrix> edited = new LinkedHashMap<>();

    public EditedWeights(ModelConfig c, TensorSource base, PartialAblation edit) {
        this.base = base;
        try {
            for (var e : edits(c, base, edit).entrySet()) {
                Edited t = e.getValue();
                edited.put(e.getKey(), new Matrix(t.f32(base, edit, arena), DType.F32, t.cols == 1 ? 1 : t.rows, t.cols == 1 ? t.rows : t.cols));
            }
        } catch (RuntimeException ex) {
            arena.close();
            throw ex;
        }
    }

    /** One tensor an edit changes: shape [rows = d, cols] (a bias: cols = 1), its layer and weight. */
    record Edited(String name, int rows, int cols, int layer, double weight) {
        double[] read(TensorSource f) {
            Matrix m = cols == 1 ? f.matrix(name, rows) : f.matrix(name, rows, cols);
            double[] out = new double[rows * cols];
            float[] row = new float[m.cols];
            for (int r = 0; r < m.rows; r++) {
                m.row(r, row, 0);
                for (int j = 0; j < m.cols; j++) out[r * m.cols + j] = row[j];
            }
            return out;
        }

        /** The tensor's values with {@code edit} applied, float64, row-major [rows, cols]. */
        double[] edited(TensorSource f, PartialAblation edit) {
            double[] m = read(f);
            edit.editColumns(m, rows, cols, layer, weight);
            return m;
        }

        /** {@link #edited} as float32 in {@code arena}. */
        MemorySegment f32(TensorSource f, PartialAblation edit, Arena arena) {
            double[] m = edited(f, edit);
            MemorySegment seg = arena.allocate((long) m.length * 4, 64);
            for (int i = 0; i < m.length; i++) seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) m[i]);
            return seg;
        }
    }

    /** The tensors {@code edit} changes in a model of configuration {@code c}, by name. */
    static Map<String, Edited> edits(ModelConfig c, TensorSource f, PartialAblation edit) {
        if (c.sandwichNorms) {
            throw new IllegalArgumentException(c.file + ": " + c.architecture + " normalises each block's output after its projection, so a partial "
                    + "edit of the projection is not the edit of what the block writes; use the run-time hooks");
        }
        if (edit.layers() != c.layers) throw new IllegalArgumentException("the edit has " + edit.layers() + " layers, " + c.file + " has " + c.layers);
        TensorNames n = new TensorNames(c);
        Map<String, Edited> out = new LinkedHashMap<>();
        for (int l = 0; l < c.layers; l++) {
            add(out, f, n, n.o(l), c.hidden, c.qDim(), l, edit.attn()[l]);
            add(out, f, n, n.down(l), c.hidden, c.intermediate, l, edit.mlp()[l]);
        }
        return out;
    }

    private static void add(Map<String, Edited> out, TensorSource f, TensorNames n, String weight, int rows, int cols, int layer, double w) {
        if (w == 0) return;
        out.put(weight, new Edited(weight, rows, cols, layer, w));
        String bias = n.bias(weight);
        if (f.has(bias)) out.put(bias, new Edited(bias, rows, 1, layer, w));
    }

    @Override
    public Path path() {
        return base.path();
    }

    @Override
    public Iterable<String> names() {
        return base.names();
    }

    @Override
    public boolean has(String name) {
        return base.has(name);
    }

    @Override
    public Matrix matrix(String name, long... expected) {
        Matrix m = base.matrix(name, expected); // the source's shape check
        Matrix e = edited.get(name);
        if (e == null) return m;
        if (e.rows != m.rows || e.cols != m.cols) throw new ModelFormatException(base.path(), "tensor '" + name + "' read as " + m + ", edited as " + e);
        return e;
    }

    @Override
    public float[] floats(String name, long... expected) {
        return matrix(name, expected).toFloats();
    }

    @Override
    public ModelFormatException unexpected(String name, String context) {
        return base.unexpected(name, context);
    }

    @Override
    public void requireFinite() {
        base.requireFinite();
    }

    @Override
    public void close() {
        arena.close();
    }
}
