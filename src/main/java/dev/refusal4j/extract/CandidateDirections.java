package dev.refusal4j.extract;

import dev.refusal4j.io.ModelFormatException;
import dev.refusal4j.io.SafetensorsFile;
import dev.refusal4j.io.SafetensorsWriter;
import dev.refusal4j.io.TensorInfo;
import dev.refusal4j.tensor.DType;
import dev.refusal4j.tensor.Matrix;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The candidate directions r(position, layer) = mean(harmful) − mean(harmless) of resid_pre, one per
 * post-instruction position and layer. Stored as {@code mean_diffs.safetensors}: F32 tensor
 * {@code mean_diffs} [positions, layers, d], position 0 being −positions and the last −1.
 */
public record CandidateDirections(float[][][] r) {
    public int positions() { return r.length; }
    public int layers() { return r[0].length; }
    public int dims() { return r[0][0].length; }

    /** The candidate at a negative position (−positions..−1) and a layer. */
    public float[] at(int position, int layer) {
        return r[position + r.length][layer];
    }

    public void write(Path file, String model) throws IOException {
        int P = positions(), L = layers(), d = dims();
        float[] flat = new float[P * L * d];
        for (int p = 0; p < P; p++) for (int l = 0; l < L; l++) System.arraycopy(r[p][l], 0, flat, (p * L + l) * d, d);
        Map<String, String> meta = new LinkedHashMap<>();   // in a fixed order, so that the same run gives the same bytes
        meta.put("positions", Integer.toString(P));
        meta.put("first_position", Integer.toString(-P));
        meta.put("model", model);
        SafetensorsWriter.write(file, List.of(SafetensorsWriter.f32("mean_diffs", flat, P, L, d)), meta);
    }

    public static CandidateDirections read(Path file) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile f = SafetensorsFile.open(file, arena);
            TensorInfo t = f.tensors().get("mean_diffs");
            if (t == null || t.shape().length != 3 || !t.dtype().equals("F32")) throw new ModelFormatException(file, "expected an F32 tensor 'mean_diffs' [positions, layers, d]");
            long[] s = t.shape();
            if (s[0] < 1 || s[1] < 1 || s[2] < 1 || s[0] > 4096 || s[1] > dev.refusal4j.model.ModelConfig.MAX_LAYERS || s[0] * s[1] * s[2] > Integer.MAX_VALUE) {
                throw new ModelFormatException(file, "tensor 'mean_diffs' has shape " + t.shapeString() + "; expected [positions, layers, d], each at least 1");
            }
            int P = (int) s[0], L = (int) s[1], d = (int) s[2];
            float[] flat = new Matrix(f.segment(t), DType.F32, P * L, d).toFloats();
            float[][][] out = new float[P][L][d];
            for (int p = 0; p < P; p++) for (int l = 0; l < L; l++) System.arraycopy(flat, (p * L + l) * d, out[p][l], 0, d);
            return new CandidateDirections(out);
        }
    }
}
