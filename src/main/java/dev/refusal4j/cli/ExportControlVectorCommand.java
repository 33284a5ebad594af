package dev.refusal4j.cli;

import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.export.ControlVector;
import dev.refusal4j.io.OutputPaths;
import dev.refusal4j.model.ModelConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code refusal4j export-control-vector}: the refusal direction as a llama.cpp control vector. */
@Command(name = "export-control-vector", mixinStandardHelpOptions = true,
        description = {
                "Write a refusal direction as a GGUF control vector for llama.cpp (--control-vector / --control-vector-scaled).",
                "Layer numbering: refusal4j layer l means the input of block l (blocks.l.hook_resid_pre), i.e. the output of block l-1. "
                        + "llama.cpp adds tensor direction.N to the output of block N (0-based), so layer l is written as direction.(l-1); "
                        + "layers must be >= 2 because llama.cpp never steers the embedding or block 0's output.",
                "Sign: the vector is scale * r with r the raw difference-in-means direction (harmful minus harmless); "
                        + "a positive scale induces refusal, a negative scale (e.g. --scale -1) steers away from it. "
                        + "llama.cpp multiplies once more by the strength given to --control-vector-scaled."})
public final class ExportControlVectorCommand implements Callable<Integer> {
    @Option(names = "--direction", required = true, paramLabel = "FILE", description = "Refusal direction file (direction.safetensors).")
    Path direction;

    @Option(names = "--layers", required = true, paramLabel = "A-B",
            description = "refusal4j layers (resid_pre) to add the vector at, inclusive, e.g. 10-14 or 12; each a layer of the model "
                    + "(at most " + (ControlVector.MAX_LAYERS_WITHOUT_MODEL - 1) + " when no model is known).")
    String layers;

    @Option(names = "--scale", defaultValue = "1.0", paramLabel = "S", description = "Multiplier of r (default: ${DEFAULT-VALUE}; negative to suppress refusal).")
    float scale;

    @Option(names = "--model", paramLabel = "DIR",
            description = "The model the direction belongs to: its config.json (or a GGUF's metadata) gives the layer count and the model type "
                    + "(default: the model named by the direction's 'model' metadata, as `run` writes it, when it is still there).")
    Path model;

    @Option(names = "--model-hint", paramLabel = "NAME",
            description = "controlvector.model_hint: llama.cpp architecture name (default: from the model's config.json, else the direction's model_type metadata).")
    String modelHint;

    @Option(names = "--out", required = true, paramLabel = "FILE.gguf", description = "Output file.")
    Path out;

    @Option(names = "--force", description = "Overwrite an existing output file.")
    boolean force;

    @Override
    public Integer call() throws Exception {
        RefusalDirection dir = RefusalDirection.read(direction);
        Path modelDir = model != null ? model : modelOf(dir);
        ModelConfig cfg = modelDir == null ? null : ModelConfig.load(modelDir);
        OutputPaths.refuseInputs("--out", out, OutputPaths.input("direction file", direction), OutputPaths.input("model folder", model));
        if (cfg != null && cfg.hidden != dir.vector().length) {
            throw new IllegalArgumentException(direction + " has " + dir.vector().length + " values but " + cfg.file + " has hidden_size " + cfg.hidden
                    + " (direction from another model?)");
        }
        int[] range = cfg == null
                ? ControlVector.parseLayers(layers, ControlVector.MAX_LAYERS_WITHOUT_MODEL, "no model is known (pass --model) and the limit")
                : ControlVector.parseLayers(layers, cfg.layers, cfg.file.toString());
        String hint = modelHint;
        if (hint == null) {
            String mt = cfg != null ? cfg.modelType : dir.metadata().get("model_type");
            hint = mt == null ? null : ControlVector.LLAMA_CPP_ARCH.get(mt);
            if (hint == null) {
                throw new IllegalArgumentException(cfg != null
                        ? cfg.file + ": model_type '" + mt + "' has no known llama.cpp architecture; pass --model-hint (e.g. llama, qwen2, gemma2)"
                        : direction + " names no model folder with a config.json and no known model_type in its metadata"
                                + (dir.metadata().containsKey("model") ? " ('model' = " + dir.metadata().get("model") + " has no config.json)" : "")
                                + "; pass --model-hint (llama.cpp's architecture, e.g. llama, qwen2, gemma2) or --model DIR");
            }
        }
        if (Files.exists(out) && !force) throw new IllegalArgumentException(out + " exists (use --force to overwrite)");
        ControlVector.build(dir, range[0], range[1], scale, hint).write(out);
        System.out.printf("wrote %s: %s * r at refusal4j layers %d-%d = llama.cpp direction.%d..%d (model hint %s)%n",
                out, scale, range[0], range[1], range[0] - 1, range[1] - 1, hint);
        return 0;
    }

    /** The model a direction's metadata names ("model", written by run), if it is still there: a folder with a config.json, or a GGUF model. */
    static Path modelOf(RefusalDirection dir) {
        String m = dir.metadata().get("model");
        if (m == null || m.isBlank()) return null;
        try {
            Path p = Path.of(m);
            return Files.isRegularFile(p.resolve("config.json")) || dev.refusal4j.io.ModelPath.of(p).isGguf() ? p : null;
        } catch (java.nio.file.InvalidPathException | dev.refusal4j.io.ModelFormatException e) {
            return null;
        }
    }
}
