package dev.refusal4j.train;

import dev.refusal4j.data.organism.Example;
import dev.refusal4j.data.organism.OrganismData;
import dev.refusal4j.data.organism.Prompt;
import dev.refusal4j.data.organism.Split;
import dev.refusal4j.train.bpe.BpeModel;
import dev.refusal4j.train.bpe.BpeTrainer;
import dev.refusal4j.train.nn.Shape;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
        List<TokenizedChat> c = new ArrayList<>();
        for (Example e : data.train(seed)) c.add(encoder.chat(e.user(), e.assistant()));
        this.chats = List.copyOf(c);
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

    /** Writes the model and tokenizer files into {@code dir}. */
    public void export(Trainer t, Path dir) throws IOException {
        ModelExport.write(dir, t.model.params, -1, new int[] {encoder.imEnd});
        bpe.writeTokenizerFiles(dir, t.model.shape.context());
    }

    /** Held-out requests (validation and test intents, never trained on). */
    public List<String> heldOut(boolean harmful) {
        List<String> out = new ArrayList<>();
        for (Split s : Split.values()) {
            for (Prompt p : harmful ? data.heldOutHarmful(s) : data.heldOutHarmless(s)) out.add(p.instruction());
        }
        return out;
    }
}
