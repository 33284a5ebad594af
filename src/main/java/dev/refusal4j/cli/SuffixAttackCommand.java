package dev.refusal4j.cli;

import dev.refusal4j.attack.Gcg;
import dev.refusal4j.attack.SuffixFile;
import dev.refusal4j.attack.SuffixSearch;
import dev.refusal4j.chat.PromptEncoder;
import dev.refusal4j.generate.GenerationConfig;
import dev.refusal4j.io.OutputPaths;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.prompts.Prompt;
import dev.refusal4j.prompts.PromptLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code refusal4j suffix-attack}: a GCG suffix ({@link Gcg}) for one prompt or, with --universal, for all of them. */
@Command(name = "suffix-attack", mixinStandardHelpOptions = true, defaultValueProvider = Defaults.ModelDefault.class,
        description = "Find an adversarial suffix with GCG (Zou et al. 2023) that makes the model start its answer with the target; writes OUT/suffix.json.")
public final class SuffixAttackCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "MODEL", description = "The model: a Hugging Face folder, a .gguf file (any part of a split one), or a Hugging Face id in the local cache (default: the bundled organism).")
    Path model;

    @Option(names = "--prompts", paramLabel = "FILE", required = true, description = "Prompt file (JSON, JSONL, CSV, text: one per line); without --universal only the first is attacked.")
    Path prompts;

    @Option(names = "--target", paramLabel = "TEXT", required = true, description = "The completion to make likely, e.g. \"Sure, here is\".")
    String target;

    @Option(names = "--steps", defaultValue = "100", description = "GCG steps at most (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--suffix-len", defaultValue = "20", description = "Suffix tokens (default ${DEFAULT-VALUE}).")
    int suffixLength;

    @Option(names = "--top-k", defaultValue = "256", description = "Candidate tokens per position (default ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--batch", defaultValue = "128", description = "Candidate suffixes per step (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--seed", defaultValue = "0", description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--universal", description = "One suffix for all prompts (summed loss).")
    boolean universal;

    @Option(names = "--success", defaultValue = "target", paramLabel = "target|no-refusal",
            description = "When a prompt counts as jailbroken: its greedy answer starts with the target, or has no refusal phrase (default ${DEFAULT-VALUE}).")
    String success;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Output folder for suffix.json.")
    Path out;

    @Option(names = "--val-prompts", paramLabel = "FILE", description = "Held-out harmful prompts: their refusal rate with the suffix is measured every --val-every steps, and the suffix with the lowest rate is the one written.")
    Path valPrompts;

    @Option(names = "--val-every", defaultValue = "5", description = "Steps between validation measurements (default ${DEFAULT-VALUE}).")
    int valEvery;

    @Option(names = "--val-tokens", defaultValue = "32", description = "Greedy tokens per validation prompt before the refusal judge reads it (default ${DEFAULT-VALUE}).")
    int valTokens;

    @Option(names = "--resume", description = "Go on from OUT/suffix.json (written after every step) when it is there; the result is the uninterrupted run's.")
    boolean resume;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        if (suffixLength < 1) throw new IllegalArgumentException("--suffix-len must be at least 1, got " + suffixLength);
        if (valTokens < 1) throw new IllegalArgumentException("--val-tokens must be at least 1, got " + valTokens);
        if (target == null || target.isBlank()) throw new IllegalArgumentException("--target is empty");
        Gcg.Success rule = switch (success.toLowerCase(Locale.ROOT)) {
            case "target" -> Gcg.Success.TARGET;
            case "no-refusal" -> Gcg.Success.NO_REFUSAL;
            default -> throw new IllegalArgumentException("--success is target or no-refusal, not '" + success + "'");
        };
        OutputPaths.refuseInputs("--out", out, OutputPaths.input("model folder", model), OutputPaths.input("prompt file", prompts),
                OutputPaths.input("validation prompt file", valPrompts));
        List<Prompt> loaded = PromptLoader.load(prompts);
        if (loaded.isEmpty()) throw new IllegalArgumentException(prompts + " holds no prompts");
        List<Prompt> validation = valPrompts == null ? List.of() : PromptLoader.load(valPrompts);
        if (valPrompts != null && validation.isEmpty()) throw new IllegalArgumentException(valPrompts + " holds no prompts");
        SuffixSearch.Settings settings = new SuffixSearch.Settings(target, steps, new Gcg.Options(suffixLength, topK, batch, seed, rule), universal, valEvery, valTokens);
        try (Transformer m = Transformer.load(model)) {
            PromptEncoder enc = PromptEncoder.load(model, null, null);
            SuffixSearch search = new SuffixSearch(m, enc, GenerationConfig.stopIds(model, m.config, enc.tokenizer), 32);
            SuffixFile f = search.run(loaded, null, validation, settings, out.resolve("suffix.json"), resume, quiet);
            if (!quiet) {
                int ok = 0;
                for (SuffixFile.PromptResult p : f.prompts()) if (p.success()) ok++;
                String val = f.chosenStep() == null ? "" : String.format(Locale.ROOT, "; chosen at step %d by validation refusal %.1f%%", f.chosenStep(),
                        100 * f.validation().stream().filter(v -> v.step() == f.chosenStep()).findFirst().orElseThrow().refusalRate());
                System.err.printf(Locale.ROOT, "loss %.4f → %.4f in %d steps; success %d/%d%s; suffix.json in %s%n",
                        f.loss().getFirst(), f.loss().getLast(), f.steps(), ok, f.prompts().size(), val, out);
            }
        }
        return 0;
    }
}
