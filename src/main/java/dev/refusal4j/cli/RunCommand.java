package dev.refusal4j.cli;

import dev.refusal4j.run.Pipeline;
import dev.refusal4j.run.RunConfig;
import dev.refusal4j.run.SuffixStage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code refusal4j run}: the whole paper on one model, by default the bundled organism. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Find the refusal direction, select it, test ablation and activation addition, and write a report.",
                "Artifacts: prompts/, mean_diffs.safetensors, candidates.json, direction.safetensors, direction.json,",
                "completions/*.jsonl, metrics.json, report.html and plots/."})
public final class RunCommand implements Callable<Integer> {
    @Mixin
    PipelineOptions options;

    @Option(names = "--export", paramLabel = "DIR", description = "Also write an abliterated copy of the model (weight orthogonalization) here.")
    Path export;

    @Option(names = "--suffix-attack", description = "Also find a universal adversarial suffix with GCG on harmful training prompts, measure it on the held-out test prompts beside a random suffix, and analyse how it acts on the direction (suffix/, and a report section).")
    boolean suffixAttack;

    @Option(names = "--suffix-steps", defaultValue = "30", description = "GCG steps of --suffix-attack (default ${DEFAULT-VALUE}).")
    int suffixSteps;

    @Option(names = "--suffix-prompts", defaultValue = "30", description = "Harmful training prompts the suffix is optimized on (default ${DEFAULT-VALUE}).")
    int suffixPrompts;

    @Option(names = "--suffix-target", paramLabel = "TEXT", description = "One completion for GCG to make likely for every prompt, e.g. \"Sure, here is\" (default: each prompt's own first answer token with the refusal direction ablated).")
    String suffixTarget;

    @Override
    public Integer call() throws Exception {
        RunConfig c = options.toConfig();
        c.export = export;
        if (export != null && dev.refusal4j.io.ModelPath.of(c.model).isGguf()) { // found out before the run, not after it
            throw new IllegalArgumentException("--export writes the abliterated model as safetensors beside its Hugging Face folder's files; "
                    + c.model + " is a GGUF model: run on its Hugging Face folder to export");
        }
        if (suffixAttack) c.suffixAttack = new SuffixStage.Options(suffixPrompts, suffixSteps, suffixTarget);
        long t0 = System.nanoTime();
        try (Pipeline p = new Pipeline(c)) {
            Path dir = p.runAll();
            Exporter.exportIfAsked(c, dir);
            RunSummary.print(dir, (System.nanoTime() - t0) / 1e9, System.out);
        }
        return 0;
    }
}
