package dev.refusal4j.direction;

import dev.refusal4j.Version;
import dev.refusal4j.io.ModelFormatException;
import dev.refusal4j.io.SafetensorsFile;
import dev.refusal4j.io.SafetensorsWriter;
import dev.refusal4j.io.TensorInfo;
import dev.refusal4j.model.ModelConfig;
import dev.refusal4j.tensor.DType;
import dev.refusal4j.tensor.Matrix;
import dev.refusal4j.tensor.UnitVector;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A refusal direction r (not normalized: its norm is the difference in means) and where it was
 * taken: the layer whose resid_pre it was measured at and the post-instruction position (negative,
 * counted from the end of the prompt, as in the paper's code). Stored as
 * {@code direction.safetensors}: F32 tensor {@code direction} [d] with the rest in the metadata.
 */
public record RefusalDirection(float[] vector, int layer, int position, Map<String, String> metadata) {

    /** The metadata keeps its order when it has one, else is sorted by key: written files are the same bytes every run. */
    public RefusalDirection {
        metadata = java.util.Collections.unmodifiableSequencedMap(new LinkedHashMap<>(metadata == null ? Map.of() : SafetensorsWriter.stableOrder(metadata)));
    }

    public double norm() {
        return UnitVector.norm(vector);
    }

    /** r̂, the unit vector of the ablation formula; a zero or non-finite r is an error. */
    public float[] unit() {
        return UnitVector.of(vector, "the refusal direction");
    }

    /**
     * Checks that this direction, read from {@code file}, belongs to a model of configuration
     * {@code cfg}: one value per hidden dimension and a layer the model has. A hook at a layer the
     * model lacks would never fire, and the output would silently be the unsteered one.
     */
    public void requireFits(Path file, ModelConfig cfg) {
        if (vector.length != cfg.hidden) {
            throw new IllegalArgumentException(file + ": the direction has " + vector.length + " values but " + cfg.file + " has hidden_size "
                    + cfg.hidden + " (direction from another model?)");
        }
        if (layer < 0 || layer >= cfg.layers) {
            throw new IllegalArgumentException(file + ": the direction's layer " + layer + " is outside the model: " + cfg.file + " has "
                    + cfg.layers + " layers (0-" + (cfg.layers - 1) + ")");
        }
    }

    public void write(Path file) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put("layer", Integer.toString(layer));
        meta.put("position", Integer.toString(position));
        meta.put("norm", Double.toString(norm()));
        meta.putIfAbsent("tool", "refusal4j " + Version.VERSION);
        SafetensorsWriter.write(file, List.of(SafetensorsWriter.f32("direction", vector, vector.length)), meta);
    }

    /**
     * Reads and checks a direction file: the one place a direction enters a command, so a NaN or an
     * infinity is rejected here, whatever the command does with it next.
     */
    public static RefusalDirection read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new ModelFormatException(file, "direction file not found");
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile f = SafetensorsFile.open(file, arena);
            TensorInfo t = f.tensors().get("direction");
            if (t == null) throw new ModelFormatException(file, "no tensor named 'direction' (found " + f.tensors().keySet() + ")");
            DType dt = DType.fromSafetensors(t.dtype());
            if (dt == null || t.shape().length != 1) throw new ModelFormatException(file, "tensor 'direction' must be a 1-D float tensor, is " + t.dtype() + t.shapeString());
            if (t.shape()[0] == 0) throw new ModelFormatException(file, "tensor 'direction' is empty");
            float[] v = new Matrix(f.segment(t), dt, 1, (int) t.shape()[0]).toFloats();
            for (int i = 0; i < v.length; i++) {
                if (!Float.isFinite(v[i])) throw new ModelFormatException(file, "tensor 'direction' holds " + v[i] + " at index " + i + "; a direction must be finite");
            }
            Map<String, String> meta = new LinkedHashMap<>(f.metadata());
            int layer = parseInt(file, meta, "layer"), pos = parseInt(file, meta, "position");
            return new RefusalDirection(v, layer, pos, meta);
        }
    }

    private static int parseInt(Path file, Map<String, String> meta, String key) {
        String v = meta.get(key);
        if (v == null) throw new ModelFormatException(file, "metadata key '" + key + "' is missing");
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new ModelFormatException(file, "metadata '" + key + "' = '" + v + "' is not an integer");
        }
    }
}
