package dev.refusal4j.cli;

import dev.refusal4j.evaluate.JudgeRule;
import dev.refusal4j.run.RunConfig;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Options shared by {@code run}, {@code directions}, {@code select} and {@code evaluate}. */
public final class PipelineOptions {
    @Option(names = "--model", paramLabel = "MODEL", description = "The model: a Hugging Face folder, a .gguf file (any part of a split one), or a Hugging Face id in the local cache (default: the bundled organism).")
    Path model;

    @Option(names = "--out", paramLabel = "DIR", description = "Run folder for the artifacts (default: runs/<model name>).")
    Path out;

    @Option(names = "--harmful-train", paramLabel = "FILE", description = "Harmful prompts for the directions (JSON, JSONL, CSV, text or Alpaca JSON).")
    Path harmfulTrain;
    @Option(names = "--harmless-train", paramLabel = "FILE", description = "Harmless prompts for the directions.")
    Path harmlessTrain;
    @Option(names = "--harmful-val", paramLabel = "FILE", description = "Harmful prompts for selection.")
    Path harmfulVal;
    @Option(names = "--harmless-val", paramLabel = "FILE", description = "Harmless prompts for selection.")
    Path harmlessVal;
    @Option(names = "--harmful-test", paramLabel = "FILE", description = "Harmful prompts for the completions.")
    Path harmfulTest;
    @Option(names = "--harmless-test", paramLabel = "FILE", description = "Harmless prompts for the completions.")
    Path harmlessTest;

    @Option(names = "--n-train", defaultValue = "128", description = "Train prompts per set (default ${DEFAULT-VALUE}).")
    int nTrain;
    @Option(names = "--n-val", defaultValue = "32", description = "Validation prompts per set (default ${DEFAULT-VALUE}).")
    int nVal;
    @Option(names = "--n-test", defaultValue = "100", description = "Test prompts per set (default ${DEFAULT-VALUE}).")
    int nTest;
    @Option(names = "--seed", defaultValue = "42", description = "Seed of the prompt sampling (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--batch-size", defaultValue = "auto", description = "Prompts per forward pass, or 'auto' to fit memory (default ${DEFAULT-VALUE}).")
    String batchSize;
    @Option(names = "--max-new-tokens", defaultValue = "512", description = "Completion length, as in the paper (default ${DEFAULT-VALUE}; never past the model's context).")
    int maxNewTokens;

    @Option(names = "--no-filter", description = "Keep every train/val prompt and every candidate (e.g. for random-weight models).")
    boolean noFilter;
    @Option(names = "--no-prompt-filter", description = "Keep every train/val prompt, but still apply the candidate thresholds.")
    boolean noPromptFilter;
    @Option(names = "--kl-threshold", defaultValue = "0.1", description = "Discard candidates with KL above this (default ${DEFAULT-VALUE}).")
    double klThreshold;
    @Option(names = "--induce-threshold", defaultValue = "0.0", description = "Discard candidates whose induce score is below this (default ${DEFAULT-VALUE}).")
    double induceThreshold;
    @Option(names = "--prune-layer-fraction", defaultValue = "0.2", description = "Discard candidates from the last fraction of layers (default ${DEFAULT-VALUE}).")
    double pruneLayerFraction;

    @Option(names = "--score-all", description = "Score every candidate, also those from pruned layers and those a filter removed: "
            + "complete heatmaps, same selection (default: each candidate only until a filter removes it).")
    boolean scoreAll;

    @Option(names = "--refusal-tokens", split = ",", paramLabel = "ID", description = "Refusal token ids (default: the model's first token of 'I' and 'As').")
    int[] refusalTokens;
    @Option(names = {"--system-prompt", "--system"}, paramLabel = "TEXT|none",
            description = "System prompt for every conversation; 'none' (the default) gives none, as the paper does.")
    String system;
    @Option(names = "--prompt-format", defaultValue = "paper", paramLabel = "paper|model",
            description = "paper: the paper code's prompt format for its model families (Llama-2, Llama-3, Gemma, Qwen chat, Yi chat), "
                    + "other models' own template without a system prompt; model: the model's chat template as deployed (default ${DEFAULT-VALUE}).")
    String promptFormat;
    @Option(names = "--template", paramLabel = "FILE", description = "A Jinja chat template to use instead of the model's.")
    Path template;
    @Option(names = "--judge", defaultValue = "substring", description = "Refusal judge rule: substring (the paper's), substring-case-sensitive, prefix, normalized (default ${DEFAULT-VALUE}).")
    String judge;

    @Option(names = "--judge-model", paramLabel = "DIR",
            description = "A Llama Guard 2 model folder: judges the harmful completions beside the phrase judge, as the paper does.")
    Path judgeModel;
    @Option(names = "--loss-corpus", paramLabel = "FILE",
            description = "Text corpus (JSONL with \"text\", or one document a line): its cross-entropy under each condition, as the paper measures the Pile.")
    Path lossCorpus;

    @Option(names = "--memory-limit", paramLabel = "SIZE",
            description = "Memory the run may use, e.g. 8G (default: the cgroup's limit, else the machine's memory). A model larger than this is read one layer "
                    + "at a time for the activations and the candidate scores, with the same results.")
    String memoryLimit;

    @Option(names = "--spark", paramLabel = "MASTER",
            description = "Run the activations, candidate scoring and completions on a Spark cluster (local[N], spark://HOST:PORT, ...); needs the Spark module.")
    String spark;
    @Option(names = "--spark-model", paramLabel = "PATH",
            description = "Where the Spark executors read the model (default: the --model path; every node must see it there).")
    Path sparkModel;

    @Option(names = "--resume", description = "Reuse the artifacts of finished stages in --out.")
    boolean resume;
    @Option(names = "--force", description = "Overwrite a run folder that already holds a run.")
    boolean force;
    @Option(names = "--quiet", description = "No progress bars; one line per stage.")
    boolean quiet;

    RunConfig toConfig() {
        RunConfig c = new RunConfig();
        c.model = model != null ? model : Defaults.model();
        c.out = out != null ? out : Path.of("runs", dev.refusal4j.io.HubCache.modelName(c.model)); // a cache snapshot: the model's name, not its commit
        c.harmfulTrain = harmfulTrain;
        c.harmlessTrain = harmlessTrain;
        c.harmfulVal = harmfulVal;
        c.harmlessVal = harmlessVal;
        c.harmfulTest = harmfulTest;
        c.harmlessTest = harmlessTest;
        c.nTrain = nTrain;
        c.nVal = nVal;
        c.nTest = nTest;
        c.seed = seed;
        if (batchSize.equalsIgnoreCase("auto")) c.batchSize = 0;
        else {
            try {
                c.batchSize = Integer.parseInt(batchSize);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--batch-size must be a number or 'auto', got '" + batchSize + "'");
            }
            if (c.batchSize <= 0) throw new IllegalArgumentException("--batch-size must be positive");
        }
        c.maxNewTokens = maxNewTokens;
        c.filter = !noFilter;
        c.promptFilter = !noPromptFilter;
        c.klThreshold = klThreshold;
        c.induceThreshold = induceThreshold;
        c.pruneLayerFraction = pruneLayerFraction;
        c.scoreAll = scoreAll;
        c.refusalTokens = refusalTokens;
        c.system = system == null || system.equalsIgnoreCase("none") ? null : system;
        c.promptFormat = promptFormat == null ? dev.refusal4j.chat.PromptEncoder.Format.PAPER : dev.refusal4j.chat.PromptEncoder.Format.parse(promptFormat);
        c.template = template;
        c.judgeModel = judgeModel;
        c.lossCorpus = lossCorpus;
        c.judge = JudgeRule.parse(judge);
        c.answerQuality = Defaults.sharesOrganismData(c.model);
        c.resume = resume;
        c.force = force;
        c.quiet = quiet;
        c.memoryLimit = memoryLimit == null ? null : dev.refusal4j.run.MemoryLimit.parse(memoryLimit);
        c.spark = spark;
        c.sparkModel = sparkModel;
        return c;
    }
}
