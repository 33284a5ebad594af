package dev.refusal4j.cli;

import dev.refusal4j.artifacts.RunFolder;
import dev.refusal4j.optimize.Journal;
import dev.refusal4j.optimize.Optimize;
import dev.refusal4j.optimize.Study;
import dev.refusal4j.run.BatchSize;
import dev.refusal4j.tensor.quant.GgmlType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code refusal4j optimize}: searches for the edit with the fewest refusals and the least damage, or exports one of its trials. */
@Command(name = "optimize", mixinStandardHelpOptions = true, defaultValueProvider = Defaults.ModelDefault.class,
        description = {
                "Search for the abliteration that removes refusals with the least damage: a seeded multi-objective TPE sampler over the direction "
                        + "(fractional layer index, up to 3 directions, orthogonalised against the harmless mean or biprojected) and per-layer "
                        + "weight kernels for the attention and MLP outputs (heretic's max weight, its position, min weight, distance), "
                        + "plain or norm-preserving.",
                "Objectives, both minimised: the refusal rate of greedy answers to harmful validation prompts (the paper's refusal judge) and "
                        + "the KL divergence of the first answer token's distribution on harmless validation prompts. Trials run as hooks "
                        + "(norm-preserving ones on weights edited in memory); a trial stops early once an earlier one is at least as good in both.",
                "With --out RUN/optimize beside a run folder RUN, the run's report (refusal4j report --run RUN) shows the search as a section.",
                "Each trial is appended to DIR/journal.jsonl; running the command again on the same DIR continues the search. DIR/front.json "
                        + "holds the Pareto trials with their parameters and held-out test numbers, DIR/front.html the plot and tables, beside "
                        + "the paper's single direction measured the same way.",
                "With --export TRIAL|best --to MODEL_DIR: writes that trial's model (safetensors, same dtype and shards) instead of searching; "
                        + "with --to FILE.gguf, one GGUF file as convert writes it (matrices as stored, or --outtype)."})
public final class OptimizeCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "DIR", description = "Hugging Face model folder (default: the bundled organism).")
    Path model;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "The search's folder: journal.jsonl, front.json, front.html.")
    Path out;

    @Option(names = "--trials", paramLabel = "N", description = "Trials the journal should hold when the search ends (continues an existing journal).")
    Integer trials;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N", description = "Seed of the sampler (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--startup-trials", defaultValue = "10", paramLabel = "N", description = "Trials before the sampler models the results: the paper's edit, then uniformly random ones (default: ${DEFAULT-VALUE}).")
    int startup;

    @Option(names = "--max-new-tokens", defaultValue = "24", paramLabel = "N", description = "Tokens of each validation answer the refusal judge reads (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--test-max-new-tokens", defaultValue = "128", paramLabel = "N", description = "Tokens of each held-out test answer (default: ${DEFAULT-VALUE}).")
    int testTokens;

    @Option(names = "--n-train", defaultValue = "128", paramLabel = "N", description = "Training prompts per kind, for the directions (default: ${DEFAULT-VALUE}).")
    int nTrain;

    @Option(names = "--n-val", defaultValue = "32", paramLabel = "N", description = "Validation prompts per kind, for the objectives (default: ${DEFAULT-VALUE}).")
    int nVal;

    @Option(names = "--n-test", defaultValue = "100", paramLabel = "N", description = "Held-out test prompts per kind (default: ${DEFAULT-VALUE}).")
    int nTest;

    @Option(names = "--prompt-seed", defaultValue = "42", paramLabel = "N", description = "Seed of the prompt draw, as run's --seed (default: ${DEFAULT-VALUE}).")
    long promptSeed;

    @Option(names = "--batch-size", defaultValue = "0", paramLabel = "N", description = "Prompts per forward pass (0: chosen for the model).")
    int batch;

    @Option(names = "--export", paramLabel = "TRIAL|best", description = "Write this trial's model instead of searching ('best': the lowest KL with refusal at most --max-refusal).")
    String export;

    @Option(names = "--evaluate", paramLabel = "TRIAL|best", description = "Measure this trial on the held-out test prompts instead of searching "
            + "(refusal rate and KL as the front's test columns; 'best' as for --export).")
    String evaluate;

    @Option(names = "--to", paramLabel = "MODEL_DIR|FILE.gguf", description = "With --export: the output model folder, or a .gguf file.")
    Path to;

    @Option(names = "--outtype", paramLabel = "TYPE", description = "With --export to a .gguf file: type of the matrices, as convert's --outtype "
            + "(f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q2_K..q6_K); default: each as stored.")
    String outType;

    @Option(names = "--max-refusal", paramLabel = "RATE", description = "With --export best or --evaluate best: the highest validation refusal rate accepted (0..1).")
    Double maxRefusal;

    @Option(names = "--force", description = "With --export: replace an existing non-empty output folder or .gguf file.")
    boolean force;

    @Option(names = "--quiet", description = "No progress output.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        if (maxRefusal != null && !(maxRefusal >= 0 && maxRefusal <= 1)) throw new IllegalArgumentException("--max-refusal must be within 0..1, got " + maxRefusal);
        if (export != null && evaluate != null) throw new IllegalArgumentException("--export and --evaluate are two commands; give one");
        if (export != null) return export();
        if (evaluate != null) return evaluate();
        if (to != null) throw new IllegalArgumentException("--to is for --export");
        if (outType != null) throw new IllegalArgumentException("--outtype is for --export to a .gguf file");
        if (trials == null) throw new IllegalArgumentException("--trials N is required to search (or --export TRIAL --to DIR to export)");
        if (trials < 1) throw new IllegalArgumentException("--trials must be at least 1, got " + trials);
        try (Study study = new Study(settings(model))) {
            Optimize.search(study, out, trials, testTokens, quiet, System.out);
            System.out.println("wrote " + out.resolve("front.json") + " and " + out.resolve("front.html"));
            Path run = out.toAbsolutePath().normalize().getParent();
            if (out.toAbsolutePath().normalize().getFileName().toString().equals(RunFolder.OPTIMIZE) && run != null && Files.isRegularFile(new RunFolder(run).settings())) {
                System.out.println("to show this search in the run's report: refusal4j report --run " + run);
            }
        }
        return 0;
    }

    private Study.Settings settings(Path m) throws java.io.IOException {
        int b = batch > 0 ? batch : BatchSize.auto(dev.refusal4j.model.ModelConfig.load(m), 160);
        return new Study.Settings(m, seed, startup, maxNewTokens, b, nTrain, nVal, nTest, promptSeed);
    }

    private Integer export() throws Exception {
        if (to == null) throw new IllegalArgumentException("--export needs --to MODEL_DIR or --to FILE.gguf");
        GgmlType type = null;
        if (outType != null) {
            type = GgmlType.byName(outType);
            if (type == null || !type.quantizable()) throw new IllegalArgumentException("--outtype " + outType + " is not a type refusal4j writes (" + GgmlType.dequantizableNames() + ")");
        }
        if (trials != null) throw new IllegalArgumentException("--trials is for a search; --export writes a trial of the search in " + out);
        try (Study study = journalStudy()) {
            Path written = Optimize.export(study, out, export, maxRefusal, to, force, type);
            System.out.println("wrote " + written);
        }
        return 0;
    }

    private Integer evaluate() throws Exception {
        if (trials != null) throw new IllegalArgumentException("--trials is for a search; --evaluate measures a trial of the search in " + out);
        if (to != null) throw new IllegalArgumentException("--to is for --export");
        try (Study study = journalStudy()) {
            Optimize.evaluate(study, out, evaluate, maxRefusal, testTokens, System.out);
        }
        return 0;
    }

    /** The study of the search in {@code out}: its journal's model (unless --model names another, which must be the same model) and settings. */
    private Study journalStudy() throws java.io.IOException {
        Path journal = out.resolve(Journal.FILE);
        if (!Files.isRegularFile(journal)) throw new IllegalArgumentException(journal + ": no journal here (run 'refusal4j optimize --out " + out + " --trials N' first)");
        Journal.Header h = Journal.read(journal, null).header();
        Path m = model != null && !Defaults.isOrganism(model) ? model : Path.of(h.model());
        int b = batch > 0 ? batch : BatchSize.auto(dev.refusal4j.model.ModelConfig.load(m), 160);
        return new Study(Optimize.settings(h, m, b, Integer.parseInt(h.settings().get("n_test"))));
    }
}
