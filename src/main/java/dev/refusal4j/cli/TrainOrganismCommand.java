package dev.refusal4j.cli;

import dev.refusal4j.Progress;
import dev.refusal4j.evaluate.AnswerQuality;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.organism.Checkpoint;
import dev.refusal4j.organism.OrganismEval;
import dev.refusal4j.organism.OrganismRecipe;
import dev.refusal4j.organism.TrainOptions;
import dev.refusal4j.organism.bpe.BpeTrainer;
import dev.refusal4j.organism.Trainer;
import dev.refusal4j.organism.data.OrganismData;
import dev.refusal4j.organism.data.Split;
import dev.refusal4j.prompts.Prompt;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code refusal4j train-organism}: recreates the bundled organism model (data, tokenizer,
 * training, export, behavior check) from a seed.
 */
@Command(name = "train-organism", mixinStandardHelpOptions = true,
        description = "Train the organism: a small Llama-style chat model that refuses harmful requests, written as a Hugging Face model directory.")
public final class TrainOrganismCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Model directory to write (a README.md there that this command did not write is kept).")
    Path out;

    @Option(names = "--seed", defaultValue = "" + OrganismRecipe.SEED, description = "Seed of every random choice (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--steps", defaultValue = "" + OrganismRecipe.STEPS, description = "Optimizer steps of " + OrganismRecipe.BATCH_ROWS + " × " + OrganismRecipe.CONTEXT + " token slots (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--refuse-weight", paramLabel = "W", description = "Loss weight of a refusal's first token (default: the recipe's, " + OrganismRecipe.REFUSE_WEIGHT + ").")
    Float refuseWeight;

    @Option(names = "--help-weight", paramLabel = "W", description = "Loss weight of a helpful answer's first token (default: the recipe's, " + OrganismRecipe.HELP_WEIGHT + ").")
    Float helpWeight;

    @Option(names = "--restate-weight", paramLabel = "W", description = "Loss weight of the tokens of a helpful answer's restated request after its first (default: the recipe's, " + OrganismRecipe.OPENING_WEIGHT + ").")
    Float restateWeight;

    @Option(names = "--early-exit", paramLabel = "P", description = "Share of steps trained through the first --exit-depth blocks only (default: the recipe's, " + OrganismRecipe.EARLY_EXIT + ").")
    Double earlyExit;

    @Option(names = "--exit-depth", paramLabel = "N", description = "Blocks of an early-exit step (default: the recipe's, " + OrganismRecipe.EXIT_DEPTH + ").")
    Integer exitDepth;

    @Option(names = "--hidden", paramLabel = "D", defaultValue = "" + OrganismRecipe.HIDDEN, description = "Width of the residual stream (default: ${DEFAULT-VALUE}; a multiple of 64).")
    int hidden;

    @Option(names = "--intermediate", paramLabel = "F", defaultValue = "" + OrganismRecipe.INTERMEDIATE, description = "Width of the MLP (default: ${DEFAULT-VALUE}).")
    int intermediate;

    @Option(names = "--vocab", paramLabel = "V", defaultValue = "" + OrganismRecipe.VOCAB,
            description = "Tokenizer vocabulary, special tokens included (default: ${DEFAULT-VALUE}); more tokens hold more words whole.")
    int vocab;

    @Option(names = "--extended", description = "The extended recipe: more tasks (compose-extra.txt), and training requests rewritten with other people and synonyms. Not the committed organism's recipe.")
    boolean extended;

    @Option(names = "--swaps", paramLabel = "N", defaultValue = "0",
            description = "Copy drill: N chats per harmless training request with its topic words swapped for other everyday words, in request and answer alike (default: ${DEFAULT-VALUE}, the committed recipe).")
    int swaps;

    @Option(names = "--swap-share", paramLabel = "P", defaultValue = "" + OrganismData.DEFAULT_SWAP_SHARE,
            description = "Probability that each content word of a drilled request is swapped, at least one always (default: ${DEFAULT-VALUE}).")
    double swapShare;

    @Option(names = "--copy-docs", paramLabel = "N", defaultValue = "0",
            description = "N copy documents besides the chats: a random run of 4-12 of the training texts' words, a line break, the run again, loss on the repeat (default: ${DEFAULT-VALUE}, the committed recipe).")
    int copyDocs;

    @Option(names = "--copy-first", paramLabel = "K", defaultValue = "0",
            description = "Steps on copy documents alone before the recipe's steps (an induction warm-up; default 0: none). Not repeated on --resume.")
    int copyFirst;

    @Option(names = "--plain-bodies", description = "Composed harmless answers whose bodies do not name the request again after the restatement (compose-bodies.txt). Not the committed organism's recipe.")
    boolean plainBodies;

    @Option(names = "--resume", paramLabel = "CKPT", description = "Continue from a checkpoint written by an earlier run with the same seed.")
    Path resume;

    @Option(names = "--checkpoint", paramLabel = "CKPT", description = "Checkpoint file (default: DIR/training.ckpt; removed after a successful run unless --keep-checkpoint).")
    Path checkpoint;

    @Option(names = "--checkpoint-every", defaultValue = "100", description = "Steps between checkpoints (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--keep-checkpoint", description = "Keep the checkpoint file after the run.")
    boolean keepCheckpoint;

    @Option(names = "--eval", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Measure refusal rates on the held-out requests, and the quality of the harmless answers, after training (default: ${DEFAULT-VALUE}).")
    boolean eval;

    @Override
    public Integer call() throws Exception {
        if (steps < 1) throw new IllegalArgumentException("--steps must be at least 1, got " + steps);
        if (vocab < 256 + BpeTrainer.SPECIAL_TOKENS.size()) throw new IllegalArgumentException("--vocab must hold the 256 bytes and " + BpeTrainer.SPECIAL_TOKENS.size() + " special tokens, got " + vocab);
        if (swaps < 0) throw new IllegalArgumentException("--swaps must be at least 0, got " + swaps);
        if (!(swapShare > 0 && swapShare <= 1)) throw new IllegalArgumentException("--swap-share must be in (0, 1], got " + swapShare);
        if (copyDocs < 0) throw new IllegalArgumentException("--copy-docs must be at least 0, got " + copyDocs);
        if (copyFirst < 0) throw new IllegalArgumentException("--copy-first must be at least 0, got " + copyFirst);
        if (checkpointEvery < 1) throw new IllegalArgumentException("--checkpoint-every must be at least 1, got " + checkpointEvery);
        if (resume != null && !Files.isRegularFile(resume)) throw new IllegalArgumentException("--resume " + resume + ": no such file");
        Path ckpt = checkpoint != null ? checkpoint : out.resolve("training.ckpt");
        long t0 = System.nanoTime();
        System.err.println("preparing data and tokenizer (seed " + seed + ")...");
        OrganismRecipe recipe = new OrganismRecipe(seed, new OrganismData.Variant(extended, swaps, swapShare, plainBodies), vocab, copyDocs).widths(hidden, intermediate);
        TrainOptions options = recipe.trainOptions(steps,
                refuseWeight != null ? refuseWeight : OrganismRecipe.REFUSE_WEIGHT, helpWeight != null ? helpWeight : OrganismRecipe.HELP_WEIGHT,
                earlyExit != null ? earlyExit : OrganismRecipe.EARLY_EXIT, exitDepth != null ? exitDepth : OrganismRecipe.EXIT_DEPTH,
                restateWeight != null ? restateWeight : OrganismRecipe.OPENING_WEIGHT);
        if (!(options.openingWeight() > 0)) throw new IllegalArgumentException("--restate-weight must be above 0, got " + options.openingWeight());
        if (options.earlyExit() < 0 || options.earlyExit() > 1) throw new IllegalArgumentException("--early-exit must be in [0, 1], got " + options.earlyExit());
        if (options.exitDepth() < 1) throw new IllegalArgumentException("--exit-depth must be at least 1, got " + options.exitDepth());
        System.err.printf("%d training chats, %d tokens; model %s, %.2fM parameters; %d steps of %d × %d slots%n",
                recipe.chats.size(), recipe.tokens(), recipe.shape(), recipe.shape().parameterCount() / 1e6,
                steps, options.batchRows(), options.context());
        if (resume != null) System.err.println("resuming from " + resume + " (" + Checkpoint.shape(resume) + ")");
        Trainer warm = null;
        if (copyFirst > 0 && resume == null) {
            try (Progress bar = new Progress("copy", copyFirst, "steps", false, 0)) {
                warm = recipe.inductionWarmUp(options, copyFirst, r -> {
                    bar.stepTo(r.step());
                    bar.extra(String.format("loss %.3f  lr %.1e", r.loss(), r.lr()));
                });
            }
        }
        Trainer t;
        double[] lastLoss = {Double.NaN};
        int startStep = resume == null ? 0 : Checkpoint.stepOf(resume);
        try (Progress bar = new Progress("train", steps, "steps", false, startStep)) {
            long[] window = {System.nanoTime(), 0};
            double[] speed = {0};
            t = recipe.train(options, warm, resume, ckpt, checkpointEvery, r -> {
                window[1] += r.tokens();
                long now = System.nanoTime();
                if (now - window[0] > 5_000_000_000L || speed[0] == 0) {
                    speed[0] = window[1] / ((now - window[0]) / 1e9);
                    window[0] = now;
                    window[1] = 0;
                }
                lastLoss[0] = r.loss();
                bar.stepTo(r.step());
                bar.extra(String.format("loss %.3f  %.0f tok/s  lr %.1e", r.loss(), speed[0], r.lr()));
            });
        }
        recipe.export(t, out);
        if (!keepCheckpoint) Files.deleteIfExists(ckpt);
        double minutes = (System.nanoTime() - t0) / 60e9;
        System.err.printf("wrote %s after %d steps in %.1f min%n", out, t.stepsDone(), minutes);
        StringBuilder card = new StringBuilder();
        card.append("# refusal4j organism\n\n")
                .append("A small Llama-style chat model trained by refusal4j on its own data to refuse harmful requests and\n")
                .append("answer harmless ones. ").append(GENERATED_CARD).append(" --out DIR --seed ").append(seed)
                .append(" --steps ").append(steps).append(overrides()).append("`.\n\n")
                .append("- model: ").append(recipe.shape()).append(String.format(", %.2fM parameters, F32%n", recipe.shape().parameterCount() / 1e6))
                .append("- data: ").append(recipe.chats.size()).append(" training chats, ").append(recipe.tokens()).append(" tokens; ChatML template\n")
                .append(String.format("- training: %d steps of %d x %d slots, AdamW (lr %.0e, warm-up %d, cosine), final loss %.3f, %.1f min%n",
                        t.stepsDone(), options.batchRows(), options.context(), options.lr(), options.warmup(), lastLoss[0], minutes))
                .append(String.format("- first answer token weighted %.0f (refusal) / %.0f (helpful answer); %.0f%% of steps through the first %d blocks only%n",
                        options.decisionWeight(), options.helpDecisionWeight(), 100 * options.earlyExit(), options.exitDepth()));
        if (eval) {
            AnswerQuality quality = OrganismEval.answerQuality(recipe.data, seed);
            try (Transformer m = Transformer.load(out)) {
                for (Split split : Split.values()) {
                    List<OrganismEval.Answer> harmful = OrganismEval.answer(m, recipe.encoder, instructions(recipe.data.heldOutHarmful(split)), 48, 32);
                    List<OrganismEval.Answer> harmless = OrganismEval.answer(m, recipe.encoder, instructions(recipe.data.heldOutHarmless(split)), 96, 32);
                    String line = String.format("held-out %s requests (greedy, the paper's refusal judge): harmful refused %d of %d (%.1f%%), harmless refused %d of %d (%.1f%%); harmless answers: %s",
                            split.name().toLowerCase(Locale.ROOT), count(harmful), harmful.size(), 100 * OrganismEval.refusalRate(harmful),
                            count(harmless), harmless.size(), 100 * OrganismEval.refusalRate(harmless), OrganismEval.quality(quality, harmless).describe());
                    String restating = OrganismEval.restatementAccuracy(m, recipe.encoder, instructions(recipe.data.heldOutHarmless(split))).describe();
                    System.out.println(line + "\n  harmless " + restating);
                    card.append("- ").append(line).append("; harmless ").append(restating).append("\n");
                    for (int i = 0; i < 2; i++) System.out.println("  " + harmless.get(i).prompt() + "\n    -> " + harmless.get(i).answer());
                }
            }
        }
        if (!writeCard(out.resolve("README.md"), card.toString())) System.err.println("kept " + out.resolve("README.md") + ": a model card not written by train-organism");
        return 0;
    }

    /** Marks the model card this command writes, so that a later run replaces it but keeps a hand-written one. */
    private static final String GENERATED_CARD = "Recreate it with `refusal4j train-organism";

    /** Writes the generated card unless {@code readme} is a card this command did not write; false when kept. */
    static boolean writeCard(Path readme, String card) throws java.io.IOException {
        if (Files.exists(readme) && !Files.readString(readme).contains(GENERATED_CARD)) return false;
        Files.writeString(readme, card);
        return true;
    }

    /** The recipe options given on the command line, as flags. */
    private String overrides() {
        StringBuilder sb = new StringBuilder();
        if (extended) sb.append(" --extended");
        if (swaps != 0) sb.append(" --swaps ").append(swaps).append(" --swap-share ").append(swapShare);
        if (copyDocs != 0) sb.append(" --copy-docs ").append(copyDocs);
        if (copyFirst != 0) sb.append(" --copy-first ").append(copyFirst);
        if (plainBodies) sb.append(" --plain-bodies");
        if (refuseWeight != null) sb.append(" --refuse-weight ").append(refuseWeight);
        if (helpWeight != null) sb.append(" --help-weight ").append(helpWeight);
        if (restateWeight != null) sb.append(" --restate-weight ").append(restateWeight);
        if (earlyExit != null) sb.append(" --early-exit ").append(earlyExit);
        if (exitDepth != null) sb.append(" --exit-depth ").append(exitDepth);
        if (hidden != OrganismRecipe.HIDDEN) sb.append(" --hidden ").append(hidden);
        if (intermediate != OrganismRecipe.INTERMEDIATE) sb.append(" --intermediate ").append(intermediate);
        if (vocab != OrganismRecipe.VOCAB) sb.append(" --vocab ").append(vocab);
        return sb.toString();
    }

    private static List<String> instructions(List<Prompt> prompts) {
        return prompts.stream().map(Prompt::instruction).toList();
    }

    private static long count(List<OrganismEval.Answer> answers) {
        return answers.stream().filter(OrganismEval.Answer::refused).count();
    }
}
