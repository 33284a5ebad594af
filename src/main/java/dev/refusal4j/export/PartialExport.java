package dev.refusal4j.export;

import dev.refusal4j.Version;
import dev.refusal4j.intervene.PartialAblation;
import dev.refusal4j.io.ModelFiles;
import dev.refusal4j.io.SafetensorsFile;
import dev.refusal4j.io.SafetensorsWriter;
import dev.refusal4j.io.TensorInfo;
import dev.refusal4j.model.ModelConfig;
import dev.refusal4j.model.ModelWeights;
import dev.refusal4j.tensor.DType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a model folder with a {@link PartialAblation} baked into its output projections: the
 * values of {@link EditedWeights}, rounded once to each tensor's own dtype; every other tensor
 * copied byte for byte, same shards and index, every other file copied (as {@link Orthogonalizer}
 * does, with the same safety rules: {@link OutputFolder}). The embedding is not edited, so a tied
 * model stays tied.
 */
public final class PartialExport {
    private PartialExport() {}

    /** @param description one line for the model card and the safetensors metadata (what the edit is) */
    public static Path write(Path modelDir, PartialAblation edit, String description, Path outDir, boolean force) throws IOException {
        ModelConfig cfg = ModelConfig.load(modelDir);
        try (ModelFiles files = ModelFiles.open(modelDir)) {
            new ModelWeights(cfg, files); // every name and shape checked before anything is written
            Map<String, EditedWeights.Edited> edits = EditedWeights.edits(cfg, files, edit);
            Set<String> written = new HashSet<>();
            for (SafetensorsFile f : files.files()) written.add(f.path.getFileName().toString());
            if (files.shardLayout != null) written.add(ModelFiles.INDEX);
            written.add("README.md");
            List<Path> others = Orthogonalizer.filesToCopy(modelDir, written);
            try (OutputFolder folder = OutputFolder.prepare(modelDir, outDir, force, () -> {})) {
                int modified = 0;
                for (SafetensorsFile f : files.files()) {
                    List<TensorInfo> ts = new ArrayList<>(f.tensors().values());
                    ts.sort(Comparator.comparingLong(TensorInfo::begin));
                    List<SafetensorsWriter.Source> sources = new ArrayList<>();
                    for (TensorInfo t : ts) {
                        EditedWeights.Edited e = edits.get(t.name());
                        if (e == null) {
                            sources.add(SafetensorsWriter.copy(t.name(), t.dtype(), t.shape(), files.segment(t.name())));
                        } else {
                            sources.add(edited(files, t, e, edit));
                            modified++;
                        }
                    }
                    Map<String, String> meta = new LinkedHashMap<>(f.metadata());
                    meta.put("refusal4j_edit", description);
                    meta.put("refusal4j_tool", "refusal4j " + Version.VERSION);
                    SafetensorsWriter.write(folder.temp.resolve(f.path.getFileName().toString()), sources, meta);
                }
                if (modified != edits.size()) throw new IllegalStateException("edited " + modified + " tensors, planned " + edits.size());
                if (files.shardLayout != null) Files.copy(modelDir.resolve(ModelFiles.INDEX), folder.temp.resolve(ModelFiles.INDEX));
                List<String> warnings = Orthogonalizer.copyOthers(modelDir, folder.temp, others);
                for (String w : warnings) System.err.println(w);
                Files.writeString(folder.temp.resolve("README.md"), "# " + modelDir.getFileName() + ", abliterated by refusal4j optimize\n\n"
                        + "Source: " + modelDir.toAbsolutePath() + "\n\nEdit: " + description + "\n\n" + modified
                        + " tensors (attention and MLP output projections) edited; every other tensor and file is the source's.\n");
                folder.commit();
                return folder.target;
            }
        }
    }

    /** An edited tensor in its own dtype, computed when the writer reaches it (one edited tensor in memory at a time). */
    private static SafetensorsWriter.Source edited(ModelFiles files, TensorInfo t, EditedWeights.Edited e, PartialAblation edit) {
        DType dt = DType.fromSafetensors(t.dtype());
        if (dt == null) throw new IllegalArgumentException(t.file() + ": tensor '" + t.name() + "' is " + t.dtype() + "; the export edits F32, BF16 and F16");
        return new SafetensorsWriter.Source() {
            public String name() { return t.name(); }
            public String dtype() { return t.dtype(); }
            public long[] shape() { return t.shape(); }
            public void writeTo(java.nio.channels.FileChannel out) throws IOException {
                double[] m = e.edited(files, edit);
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment seg = arena.allocate(byteSize());
                    WeightRows.write(seg, dt, 0, m.length, m, new WeightRows.Scratch(m.length));
                    SafetensorsWriter.copy(t.name(), t.dtype(), t.shape(), seg).writeTo(out);
                }
            }
        };
    }
}
