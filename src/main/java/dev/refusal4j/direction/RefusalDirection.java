package dev.refusal4j.direction;

import dev.refusal4j.Version;
import dev.refusal4j.io.ModelFormatException;
import dev.refusal4j.io.SafetensorsFile;
import dev.refusal4j.io.SafetensorsWriter;
import dev.refusal4j.io.TensorInfo;
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

    public double norm() {
        return UnitVector.norm(vector);
    }

    /** r̂, the unit vector of the ablation formula; a zero or non-finite r is an error. */
    public float[] unit() {
        return UnitVector.of(vector, "the refusal direction");
    }

    public void write(Path file) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put("layer", Integer.toString(layer));
        meta.put("position", Integer.toString(position));
        meta.put("norm", Double.toString(norm()));
        meta.putIfAbsent("tool", "refusal4j " + Version.VERSION);
        SafetensorsWriter.write(file, List.of(SafetensorsWriter.f32("direction", vector, vector.length)), meta);
    }

    public static RefusalDirection read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new ModelFormatException(file, "direction file not found");
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile f = SafetensorsFile.open(file, arena);
            TensorInfo t = f.tensors().get("direction");
            if (t == null) throw new ModelFormatException(file, "no tensor named 'direction' (found " + f.tensors().keySet() + ")");
            DType dt = DType.fromSafetensors(t.dtype());
            if (dt == null || t.shape().length != 1) throw new ModelFormatException(file, "tensor 'direction' must be a 1-D float tensor, is " + t.dtype() + t.shapeString());
            float[] v = new Matrix(f.segment(t), dt, 1, (int) t.shape()[0]).toFloats();
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
