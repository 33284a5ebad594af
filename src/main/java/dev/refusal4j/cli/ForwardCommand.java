package dev.refusal4j.cli;

import dev.refusal4j.io.OutputPaths;
import dev.refusal4j.io.SafetensorsWriter;
import dev.refusal4j.model.ActivationCache;
import dev.refusal4j.model.Forward;
import dev.refusal4j.model.Transformer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code refusal4j forward}: one sequence of token ids through the model; writes the logits [T, vocab]
 * and every matched hook's activation as F32 tensors named by the hook name. Outside checks rely on
 * this contract.
 */
@Command(name = "forward", mixinStandardHelpOptions = true, defaultValueProvider = Defaults.ModelDefault.class,
        description = "Run token ids through a model and save logits and hook activations as safetensors.")
public final class ForwardCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "MODEL", description = "The model: a Hugging Face folder, a .gguf file (any part of a split one), or a Hugging Face id in the local cache (default: the bundled organism).")
    Path model;

    @Option(names = "--ids", required = true, split = ",", paramLabel = "ID", description = "Token ids, comma-separated.")
    int[] ids;

    @Option(names = "--hooks", split = ",", paramLabel = "GLOB", description = "Hook names or globs to save, e.g. 'blocks.*.hook_resid_pre'.")
    List<String> hooks = new ArrayList<>();

    @Option(names = "--validate", description = "Check every weight for NaN/Inf before running.")
    boolean validate;

    @Option(names = "--out", required = true, paramLabel = "FILE.safetensors", description = "Output file.")
    Path out;

    @Override
    public Integer call() throws Exception {
        OutputPaths.refuseInputs("--out", out, OutputPaths.input("model folder", model));
        try (Transformer m = Transformer.load(model)) {
            if (validate) dev.refusal4j.io.WeightValidator.requireFinite(m.files());
            int T = ids.length;
            ActivationCache run = m.runWithCache(Forward.of(ids), hooks.toArray(String[]::new));
            List<SafetensorsWriter.Source> tensors = new ArrayList<>();
            tensors.add(SafetensorsWriter.f32("logits", run.logits(), T, m.config.vocab));
            for (String name : run.names()) { // one sequence: the batch dimension is dropped
                long[] shape = run.shape(name);
                tensors.add(SafetensorsWriter.f32(name, run.get(name), Arrays.copyOfRange(shape, 1, shape.length)));
            }
            Map<String, String> metadata = new LinkedHashMap<>(); // a fixed order: the same run writes the same bytes
            metadata.put("ids", Arrays.toString(ids));
            metadata.put("model", model.toString());
            SafetensorsWriter.write(out, tensors, metadata);
            System.err.printf("wrote %s: logits [%d, %d] and %d hook tensors%n", out, T, m.config.vocab, run.names().size());
        }
        return 0;
    }
}
