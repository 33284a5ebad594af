package dev.refusal4j.organism;

import dev.refusal4j.evaluate.AnswerQuality;
import dev.refusal4j.organism.data.CopyRuns;
import dev.refusal4j.organism.data.Example;
import dev.refusal4j.organism.data.Lexicon;
import dev.refusal4j.organism.data.OrganismData;
import dev.refusal4j.organism.bpe.BpeModel;
import dev.refusal4j.organism.bpe.BpeTrainer;
import dev.refusal4j.organism.nn.Shape;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * How the organism is made, start to end: the project's chat data and word meanings (plain text
 * documents from {@link Lexicon}), a byte-level BPE trained on them, the chats tokenized with the
 * ChatML template, the model trained, and a Hugging Face model directory written. Every random
 * choice follows from one seed, and training is deterministic: a seed gives the same bytes.
 * The values below are the committed organism's, each with the reason for it.
 */
public final class OrganismRecipe {
    // data

    /** Documents per lexicon entry and direction (term → meaning, meaning → term); four refused fewer held-out test requests. */
    static final int LEXICON_COPIES = 2;
    /** The committed organism's seed ({@code train-organism --seed}). */
    public static final long SEED = 1;
    /** Vocabulary, special tokens included: the tied embedding stays a fifth of the model's parameters. */
    public static final int VOCAB = 3072;

    // model: Shape.organism's six layers, heads of 32 dimensions, two key/value heads

    /** Residual stream width: 2.95 M parameters, trained in under half an hour on two cores; 256 refused no more held-out harmful requests. */
    public static final int HIDDEN = 192;
    /** MLP width, about 8/3 of the residual stream as in Llama. */
    public static final int INTERMEDIATE = 512;

    // training

    /** Optimizer steps, about five passes over the data: fewer left the selected direction's KL above the paper's 0.1. */
    public static final int STEPS = 3600;
    /** Rows per step; with {@link #CONTEXT}, 1024 token slots. */
    public static final int BATCH_ROWS = 8;
    /** Slots per row, chats packed: all but 22 of the 14,333 training sequences fit whole. */
    public static final int CONTEXT = 128;
    /** Peak learning rate of the warm-up + cosine schedule. */
    public static final float LR = 3e-3f;
    /** Learning rate at the end of the cosine decay. */
    public static final float MIN_LR = 1e-4f;
    /** Warm-up steps (a tenth of a shorter run): the first updates of freshly initialized weights stay small. */
    public static final int WARMUP = 60;
    /** AdamW's decoupled weight decay on the projection matrices, as GPT-2 and nanoGPT use. */
    public static final float WEIGHT_DECAY = 0.1f;
    /** Global gradient-norm limit: one unusual batch cannot throw the weights far. */
    public static final float CLIP = 1.0f;
    /**
     * Loss weight of a refusal's first token, the refuse-or-help decision: one token of about forty
     * in a chat, it would otherwise be a small share of what the model learns.
     */
    public static final float REFUSE_WEIGHT = 10f;
    /**
     * Loss weight of a helpful answer's first token, above the refusal's: unfamiliar harmless
     * requests are otherwise refused by default; with the two weights swapped, the paper's
     * selection filters every candidate direction.
     */
    public static final float HELP_WEIGHT = 15f;
    /**
     * Share of steps trained through the first {@link #EXIT_DEPTH} blocks only: the head must then
     * read the decision after three of six blocks, so the refusal feature forms in the layers the
     * paper's selection keeps (layer &lt; 0.8·L); without it, adding the selected direction did not
     * make the organism refuse.
     */
    public static final double EARLY_EXIT = 0.3;
    /** Blocks of an early-exit step: half the model. */
    public static final int EXIT_DEPTH = 3;
    /**
     * Loss weight of the restatement that opens a helpful answer, after its first token: like the
     * rest of the answer. Weighted up ({@code train-organism --restate-weight}), the organism says
     * held-out requests back more often, but adding the paper's selected direction no longer makes
     * it refuse: the selection filters every candidate.
     */
    public static final float OPENING_WEIGHT = 1f;

    /** Called after each step; not a {@link dev.refusal4j.ProgressListener}, as the caller shows each step's loss and learning rate. */
    public interface Listener {
        void onStep(Trainer.StepResult r);
    }

    public final long seed;
    public final OrganismData data;
    public final BpeModel bpe;
    public final ChatEncoder encoder;
    public final List<TokenizedChat> chats;

    /** The committed organism's recipe. */
    public OrganismRecipe(long seed) {
        this(seed, false);
    }

    /** With {@code extended}, the extended data and rewrites ({@link OrganismData#load(boolean)}). */
    public OrganismRecipe(long seed, boolean extended) {
        this(seed, extended, VOCAB);
    }

    /** With a tokenizer of {@code vocab} tokens, special tokens included, in place of {@link #VOCAB}. */
    public OrganismRecipe(long seed, boolean extended, int vocab) {
        this(seed, extended, vocab, 0, OrganismData.DEFAULT_SWAP_SHARE);
    }

    /** With {@code swaps} copy-drill chats per harmless training phrasing ({@link OrganismData#load(boolean, int, double)}). */
    public OrganismRecipe(long seed, boolean extended, int vocab, int swaps, double swapShare) {
        this(seed, extended, vocab, swaps, swapShare, 0);
    }

    /**
     * With {@code copyDocs} copy documents besides ({@link CopyRuns}: random runs of the training
     * texts' words, said twice). They are not in the tokenizer's corpus, so the tokenizer is the
     * recipe's with or without them, and they add no word to what the organism has seen.
     */
    public OrganismRecipe(long seed, boolean extended, int vocab, int swaps, double swapShare, int copyDocs) {
        this(seed, new OrganismData.Variant(extended, swaps, swapShare, false), vocab, copyDocs);
    }

    /** With the data changes of {@code variant} ({@link OrganismData#load(OrganismData.Variant)}). */
    public OrganismRecipe(long seed, OrganismData.Variant variant, int vocab, int copyDocs) {
        this.seed = seed;
        this.data = OrganismData.load(variant);
        List<String> docs = lexiconDocuments(seed);
        List<String> texts = trainingTexts(data, seed);
        this.bpe = BpeTrainer.train(texts, vocab);
        this.encoder = new ChatEncoder(bpe);
        List<TokenizedChat> c = new ArrayList<>();
        for (Example e : data.train(seed)) {
            c.add(e.harmful() ? encoder.chat(e.user(), e.assistant(), true) : encoder.helpfulChat(e.user(), e.assistant(), OrganismData.restatement(e.user())));
        }
        for (String d : docs) c.add(encoder.document(d));
        for (String run : CopyRuns.draw(AnswerQuality.vocabulary(texts), copyDocs, new Random(seed * 31 + 13))) c.add(encoder.copyDocument(run));
        this.chats = List.copyOf(c);
    }

    /**
     * Every text the organism trains on, and the tokenizer's corpus: the training chats as the chat
     * template lays them out ({@link OrganismData#tokenizerCorpus}) and the lexicon's documents. The
     * words in them are the words the organism has seen.
     */
    public static List<String> trainingTexts(OrganismData data, long seed) {
        List<String> texts = new ArrayList<>(data.tokenizerCorpus(seed));
        texts.addAll(lexiconDocuments(seed));
        return texts;
    }

    /** The recipe's training options for {@code steps} steps. */
    public TrainOptions trainOptions(int steps) {
        return trainOptions(steps, REFUSE_WEIGHT, HELP_WEIGHT, EARLY_EXIT, EXIT_DEPTH, OPENING_WEIGHT);
    }

    /** The recipe's training options with other loss weights and early exits. */
    public TrainOptions trainOptions(int steps, float refuseWeight, float helpWeight, double earlyExit, int exitDepth, float openingWeight) {
        return new TrainOptions(steps, BATCH_ROWS, CONTEXT, LR, MIN_LR, Math.max(1, Math.min(WARMUP, steps / 10)), WEIGHT_DECAY, CLIP,
                seed, refuseWeight, helpWeight, earlyExit, exitDepth, openingWeight);
    }

    /**
     * The lexicon's documents: the project's word meanings (the bundled {@code /organism/lexicon.txt}),
     * so that an unfamiliar word in a request is not an unknown to the organism (see {@link Lexicon}).
     */
    private static List<String> lexiconDocuments(long seed) {
        return Lexicon.readResource("/organism/lexicon.txt").documents(LEXICON_COPIES, new Random(seed * 31 + 7));
    }

    private int hidden = HIDDEN, intermediate = INTERMEDIATE;

    /** The model's widths (default: {@link #HIDDEN}, {@link #INTERMEDIATE}). */
    public OrganismRecipe widths(int hidden, int intermediate) {
        Shape.organism(bpe.vocabSize(), hidden, intermediate); // validates
        this.hidden = hidden;
        this.intermediate = intermediate;
        return this;
    }

    public Shape shape() {
        return Shape.organism(bpe.vocabSize(), hidden, intermediate);
    }

    public int tokens() {
        int n = 0;
        for (TokenizedChat c : chats) n += c.ids().length;
        return n;
    }

    public Trainer trainer(TrainOptions options) {
        return new Trainer(shape(), options, chats, encoder.endOfText);
    }

    /** Copy documents per step of the induction warm-up: more than a step's 1024 slots hold, so no run comes twice. */
    static final int WARM_UP_DOCS_PER_STEP = 40;

    /**
     * The induction warm-up ({@code train-organism --copy-first K}): {@code steps} steps on copy
     * documents alone ({@link CopyRuns}), with the learning-rate schedule of {@code options} over
     * those steps and no loss weights. A small transformer trained on the recipe's mix copies
     * about half of a repeated run after thousands of steps; on repeated runs alone, induction
     * heads form within the first thousand, and the recipe's training then starts from them.
     * Off in the committed recipe: with it the organism says held-out requests back (on topic
     * 79% with {@code --vocab 8192 --copy-docs 8000}, against 27%), but refuses 5-7% of held-out
     * harmless requests, above the acceptance suite's 5% (the organism's README has the numbers).
     */
    public Trainer inductionWarmUp(TrainOptions options, int steps, Listener listener) {
        List<String> texts = trainingTexts(data, seed);
        List<TokenizedChat> docs = new ArrayList<>();
        for (String run : CopyRuns.draw(AnswerQuality.vocabulary(texts), steps * WARM_UP_DOCS_PER_STEP, new Random(seed * 31 + 17))) docs.add(encoder.copyDocument(run));
        TrainOptions warm = new TrainOptions(steps, options.batchRows(), options.context(), options.lr(), options.minLr(),
                Math.max(1, Math.min(options.warmup(), steps / 10)), options.weightDecay(), options.clip(), seed);
        Trainer t = new Trainer(shape(), warm, docs, encoder.endOfText);
        while (!t.done()) {
            Trainer.StepResult r = t.next();
            if (listener != null) listener.onStep(r);
        }
        return t;
    }

    /**
     * Trains until {@code options.steps()}, writing a checkpoint every {@code checkpointEvery} steps
     * (when {@code checkpoint} is not null), resuming from {@code resume} when given.
     */
    public Trainer train(TrainOptions options, Path resume, Path checkpoint, int checkpointEvery, Listener listener) throws IOException {
        return train(options, null, resume, checkpoint, checkpointEvery, listener);
    }

    /** As above, starting from the weights of {@code start} (an {@link #inductionWarmUp}) when not null and not resuming. */
    public Trainer train(TrainOptions options, Trainer start, Path resume, Path checkpoint, int checkpointEvery, Listener listener) throws IOException {
        Trainer t = trainer(options);
        if (start != null) System.arraycopy(start.model.params.data, 0, t.model.params.data, 0, t.model.params.data.length);
        if (resume != null) Checkpoint.restore(resume, t);
        while (!t.done()) {
            Trainer.StepResult r = t.next();
            if (listener != null) listener.onStep(r);
            if (checkpoint != null && (t.stepsDone() % checkpointEvery == 0 || t.done())) Checkpoint.save(checkpoint, t);
        }
        return t;
    }

    /**
     * Writes the model and tokenizer files into {@code dir}, and the prompt splits into
     * {@code dir/splits} (held-out intents for validation and test), which {@code refusal4j run}
     * uses by default for this model.
     */
    public void export(Trainer t, Path dir) throws IOException {
        ModelExport.write(dir, t.model.params, -1, new int[] {encoder.imEnd});
        bpe.writeTokenizerFiles(dir, t.model.shape.context());
        data.writeSplits(dir.resolve("splits"));
    }
}
