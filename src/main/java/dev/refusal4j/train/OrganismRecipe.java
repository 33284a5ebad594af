package dev.refusal4j.train;

import dev.refusal4j.data.organism.Example;
import dev.refusal4j.data.organism.OrganismData;
import dev.refusal4j.train.bpe.BpeModel;
import dev.refusal4j.train.bpe.BpeTrainer;
import dev.refusal4j.train.nn.Shape;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * How the organism is made, start to end: the project's chat data, a byte-level BPE trained on
 * it, the chats tokenized with the ChatML template, the model trained, and a Hugging Face model
 * directory written. Every random choice follows from one seed.
 */
public final class OrganismRecipe {
    /** Called after each step. */
    public interface Listener {
        void onStep(Trainer.StepResult r);
    }

    public final long seed;
    public final OrganismData data;
    public final BpeModel bpe;
    public final ChatEncoder encoder;
    public final List<TokenizedChat> chats;

    public OrganismRecipe(long seed) {
        this.seed = seed;
        this.data = OrganismData.load();
        this.bpe = BpeTrainer.train(data.tokenizerCorpus(seed), BpeTrainer.DEFAULT_VOCAB_SIZE);
        this.encoder = new ChatEncoder(bpe);
        List<Example> examples = data.train(seed);
        int[] noisePool = noisePool(examples);
        Random rng = new Random(seed ^ 0x6E6F697365L);
        List<TokenizedChat> c = new ArrayList<>();
        for (Example e : examples) {
            c.add(encoder.chat(e.user(), e.assistant()));
            int copies = e.harmful() ? NOISY_COPIES_HARMFUL : NOISY_COPIES_HARMLESS;
            for (int k = 0; k < copies; k++) c.add(encoder.chatWithUserIds(noisy(encoder.encode(e.user()), noisePool, rng), e.assistant()));
        }
        this.chats = List.copyOf(c);
    }

    /**
     * Share of a request's tokens replaced in its noisy copies. Without the copies the model learns
     * "unfamiliar request → refuse" (a trial run refused 43% of held-out harmless requests): every
     * refusal opens with "I", while helpful answers open with many different tokens, so an uncertain
     * model's greedy choice is a refusal. A noisy copy of each harmless request, still answered,
     * teaches it that unfamiliar tokens alone are no reason to refuse. Measured at seed 1, 900 steps,
     * before helpful answers opened with "Sure!"
     * (refused held-out harmful / harmless): no copies 98% / 43% (at step 500); one harmless copy
     * 97.3% / 18.3%; with a decision weight of 10 on top, 94.7% / 13.7%; noisy copies of both kinds
     * (two harmless, one harmful) and weight 10, 93.8% / 16.2%.
     */
    static final double PROMPT_NOISE = 0.25;
    static final int NOISY_COPIES_HARMLESS = 1, NOISY_COPIES_HARMFUL = 0;

    /** Replacement tokens: ordinary tokens, except those that occur in harmful requests but never in harmless ones. */
    private int[] noisePool(List<Example> examples) {
        boolean[] harmfulOnly = new boolean[encoder.vocabSize()], inHarmless = new boolean[encoder.vocabSize()];
        for (Example e : examples) for (int id : encoder.encode(e.user())) (e.harmful() ? harmfulOnly : inHarmless)[id] = true;
        List<Integer> pool = new ArrayList<>();
        for (int id = 0; id < encoder.vocabSize(); id++) {
            if (id == encoder.imStart || id == encoder.imEnd || id == encoder.endOfText) continue;
            if (harmfulOnly[id] && !inHarmless[id]) continue;
            pool.add(id);
        }
        return pool.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int[] noisy(int[] ids, int[] pool, Random rng) {
        int[] out = ids.clone();
        for (int i = 0; i < out.length; i++) if (rng.nextDouble() < PROMPT_NOISE) out[i] = pool[rng.nextInt(pool.length)];
        return out;
    }

    public Shape shape() {
        return Shape.organism(bpe.vocabSize());
    }

    public int tokens() {
        int n = 0;
        for (TokenizedChat c : chats) n += c.ids().length;
        return n;
    }

    public Trainer trainer(TrainOptions options) {
        return new Trainer(shape(), options, chats, encoder.endOfText);
    }

    /**
     * Trains until {@code options.steps()}, writing a checkpoint every {@code checkpointEvery} steps
     * (when {@code checkpoint} is not null), resuming from {@code resume} when given.
     */
    public Trainer train(TrainOptions options, Path resume, Path checkpoint, int checkpointEvery, Listener listener) throws IOException {
        Trainer t = trainer(options);
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
