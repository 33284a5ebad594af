package dev.refusal4j.export;

import dev.refusal4j.io.ModelFiles;
import dev.refusal4j.io.SafetensorsFile;
import dev.refusal4j.io.TensorInfo;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tensor.DType;
import dev.refusal4j.tensor.Matrix;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * Re-reads a finished export before it is renamed into place: every shard's header, its file size
 * against the header, every tensor's dtype and shape against the input, a full model load, and
 * the first and last embedding rows orthogonal to r̂ within the dtype's rounding.
 */
final class ExportVerifier {
    private ExportVerifier() {}

    static void verify(Path inputDir, Path outDir, ModelFiles input, boolean untied, double[] unit) throws IOException {
        try (ModelFiles out = ModelFiles.open(outDir)) {
            Set<String> expected = new HashSet<>();
            input.names().forEach(expected::add);
            Set<String> got = new HashSet<>();
            out.names().forEach(got::add);
            if (untied) expected.add("lm_head.weight");
            if (!got.equals(expected)) throw new IOException("export check failed: tensors " + got + " differ from the expected " + expected);
            for (SafetensorsFile f : out.files()) {
                long end = f.tensors().values().stream().mapToLong(TensorInfo::end).max().orElse(0);
                long size = Files.size(f.path);
                if (size != f.dataStart + end) throw new IOException("export check failed: " + f.path + " has " + size + " bytes, its header describes " + (f.dataStart + end));
                Path src = inputDir.resolve(f.path.getFileName().toString());
                if (!Files.isRegularFile(src)) throw new IOException("export check failed: shard " + f.path.getFileName() + " has no input counterpart");
            }
            for (String name : got) {
                TensorInfo o = out.info(name);
                TensorInfo i = input.has(name) && !(untied && name.equals("lm_head.weight")) ? input.info(name) : null;
                if (i != null && (!i.dtype().equals(o.dtype()) || !Arrays.equals(i.shape(), o.shape()))) {
                    throw new IOException("export check failed: tensor '" + name + "' is " + o.dtype() + o.shapeString() + ", the input's is " + i.dtype() + i.shapeString());
                }
            }
        }
        try (Transformer t = Transformer.load(outDir)) {
            Matrix e = t.weights.embed;
            checkRow(e, 0, unit);
            checkRow(e, e.rows - 1, unit);
            if (t.config.tieEmbeddings) throw new IOException("export check failed: the exported config still ties the embeddings");
        }
    }

    /** |r̂·e'| must be within the rounding of e' to its dtype: ≤ 2 ε Σ|r̂_j e'_j| (+ tiny for zero rows). */
    private static void checkRow(Matrix m, int row, double[] unit) throws IOException {
        double dot = 0, abs = 0;
        for (int j = 0; j < m.cols; j++) {
            double v = m.get(row, j);
            dot += v * unit[j];
            abs += Math.abs(v * unit[j]);
        }
        double eps = roundoff(m.dtype);
        if (Math.abs(dot) > 2 * eps * abs + 1e-30) {
            throw new IOException("export check failed: embedding row " + row + " keeps a component " + dot + " along the direction (bound " + 2 * eps * abs + ")");
        }
    }

    /** Unit roundoff of a dtype (round to nearest): half the distance between 1 and the next value. */
    static double roundoff(DType dt) {
        return switch (dt) { case F32 -> 0x1p-24; case BF16 -> 0x1p-8; case F16 -> 0x1p-11; default -> throw new IllegalArgumentException("export writes no " + dt + " weights"); };
    }
}
