package dev.refusal4j.cli;

import dev.refusal4j.io.SafetensorsWriter;
import dev.refusal4j.model.Activation;
import dev.refusal4j.model.Hooks;
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
    @Option(names = "--model", paramLabel = "DIR", description = "Hugging Face model directory (default: the bundled organism).")
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
        try (Transformer m = Transformer.load(model)) {
            if (validate) dev.refusal4j.io.WeightValidator.requireFinite(m.files());
            int T = ids.length;
            Map<String, float[]> captured = new LinkedHashMap<>();
            Map<String, long[]> shapes = new LinkedHashMap<>();
            Hooks h = new Hooks();
            for (String g : hooks) {
                h.add(g, (Activation a) -> {
                    captured.put(a.name, a.copy());
                    shapes.put(a.name, a.name.endsWith(Hooks.PATTERN)
                            ? new long[] {m.config.heads, T, a.width} : new long[] {T, a.width});
                });
            }
            float[] logits = m.forward(new int[][] {ids}, null, null, h, Transformer.Logits.ALL);
            List<SafetensorsWriter.Source> tensors = new ArrayList<>();
            tensors.add(SafetensorsWriter.f32("logits", logits, T, m.config.vocab));
            for (var e : captured.entrySet()) tensors.add(SafetensorsWriter.f32(e.getKey(), e.getValue(), shapes.get(e.getKey())));
            SafetensorsWriter.write(out, tensors, Map.of("ids", Arrays.toString(ids), "model", model.toString()));
            System.err.printf("wrote %s: logits [%d, %d] and %d hook tensors%n", out, T, m.config.vocab, captured.size());
        }
        return 0;
    }
}
