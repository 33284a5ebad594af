package dev.refusal4j.cli;

import dev.refusal4j.Progress;
import dev.refusal4j.artifacts.SuffixAnalysisFile;
import dev.refusal4j.attack.SuffixAnalysis;
import dev.refusal4j.run.SuffixStage;
import dev.refusal4j.chat.PromptEncoder;
import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.io.HubCache;
import dev.refusal4j.io.OutputPaths;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.prompts.BuiltinPrompts;
import dev.refusal4j.prompts.Prompt;
import dev.refusal4j.prompts.PromptLoader;
import dev.refusal4j.prompts.RunPrompts;
import dev.refusal4j.report.SuffixFigures;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code refusal4j analyze-suffix}: how a suffix acts on the refusal direction ({@link SuffixAnalysis}); writes OUT/analysis.json and its figures. */
@Command(name = "analyze-suffix", mixinStandardHelpOptions = true, defaultValueProvider = Defaults.ModelDefault.class,
        description = {"Analyse an adversarial suffix as Section 5 of the paper does: the cosine of the last prompt position with the refusal direction per layer,",
                "the heads that write along it, and where they attend, on harmful prompts without the suffix, with it, with a random suffix of as many tokens,",
                "and on harmless prompts. Writes OUT/analysis.json and cosine_by_layer, top_heads and attention_shares as SVG and PNG;",
                "with --out RUN/suffix the run's report shows them."})
public final class AnalyzeSuffixCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "MODEL", description = "The model: a Hugging Face folder, a .gguf file (any part of a split one), or a Hugging Face id in the local cache (default: the bundled organism).")
    Path model;

    @Option(names = "--direction", paramLabel = "FILE", required = true, description = "The refusal direction (a run's direction.safetensors).")
    Path direction;

    @Option(names = "--suffix", paramLabel = "TEXT", required = true,
            description = "The suffix, appended to every instruction after a space as generate --suffix does (the \"suffix\" of suffix-attack's suffix.json).")
    String suffix;

    @Option(names = "--prompts", paramLabel = "FILE", required = true, description = "Harmful prompts (JSON, JSONL, CSV, text: one per line).")
    Path prompts;

    @Option(names = "--harmless", paramLabel = "FILE",
            description = "Harmless prompts to compare with (default: the model folder's splits/harmless_test.json, else the built-in harmless set; as many as --prompts, from the start).")
    Path harmless;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the random suffix (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--top-heads", defaultValue = "8", paramLabel = "K", description = "Heads reported, by their projection on the direction (default ${DEFAULT-VALUE}).")
    int topHeads;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Output folder (RUN/suffix puts the analysis into a run's report).")
    Path out;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        if (suffix.isBlank()) throw new IllegalArgumentException("--suffix is empty");
        SuffixAnalysis.Options options = new SuffixAnalysis.Options(topHeads, seed);
        OutputPaths.refuseInputs("--out", out, OutputPaths.input("model folder", model), OutputPaths.input("direction file", direction),
                OutputPaths.input("prompt file", prompts), OutputPaths.input("harmless prompt file", harmless));
        if (Files.isRegularFile(out)) throw new IllegalArgumentException("--out " + out + " is a file; give a folder");
        List<Prompt> harmful = PromptLoader.load(prompts);
        if (harmful.isEmpty()) throw new IllegalArgumentException(prompts + " holds no prompts");
        List<Prompt> reference = harmlessPrompts(harmful.size());
        try (Transformer m = Transformer.load(model)) {
            RefusalDirection r = RefusalDirection.read(direction);
            r.requireFits(direction, m.config);
            PromptEncoder enc = PromptEncoder.load(model, null, null);
            SuffixAnalysis analysis = new SuffixAnalysis(m, enc, r);
            SuffixAnalysis.Result result;
            try (Progress bar = new Progress("analyze-suffix", 3L * harmful.size() + reference.size(), "prompt", quiet)) {
                result = analysis.run(instructions(harmful), instructions(reference), suffix, options, bar::stepTo);
            }
            SuffixAnalysisFile file = SuffixStage.analysisFile(result, HubCache.modelName(model), direction.toString());
            // the figures first: analysis.json, which the report looks for, appears last and whole
            SuffixFigures.write(file, out);
            file.write(out.resolve("analysis.json"));
            if (!quiet) {
                System.err.printf(Locale.ROOT, "checks: cosine lower %s, heads reduced %s, attention shifted %s; %s in %s%n",
                        result.checks().cosineLower(), result.checks().headsReduced(), result.checks().attentionShifted(), "analysis.json", out);
            }
        }
        return 0;
    }

    /** --harmless, else the model's held-out harmless test prompts, else the built-in ones; a default set is cut to {@code n}. */
    private List<Prompt> harmlessPrompts(int n) {
        if (harmless != null) {
            List<Prompt> h = PromptLoader.load(harmless);
            if (h.isEmpty()) throw new IllegalArgumentException(harmless + " holds no prompts");
            return h;
        }
        Path split = RunPrompts.split(model, "harmless_test");
        List<Prompt> h = Files.isRegularFile(split) ? PromptLoader.load(split) : BuiltinPrompts.harmless();
        if (h.isEmpty()) throw new IllegalArgumentException(split + " holds no prompts; give --harmless FILE");
        return h.subList(0, Math.min(n, h.size()));
    }

    private static List<String> instructions(List<Prompt> prompts) {
        return prompts.stream().map(Prompt::instruction).toList();
    }
}
