package dev.refusal4j.organism;

import dev.refusal4j.cli.Main;
import dev.refusal4j.model.Forward;
import dev.refusal4j.model.ModelConfig;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.organism.nn.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The organism recipe end to end at small scale: its data, tokenizer and a tiny model whose loss falls. */
class OrganismShortTrainingTest {
    @TempDir
    Path dir;

    @Test
    void lossFallsOnTheOrganismDataWithATinyModel() throws Exception {
        OrganismRecipe recipe = new OrganismRecipe(5);
        Shape tiny = new Shape(64, 2, 4, 2, 16, 128, recipe.encoder.vocabSize(), 128, 1e-5f, 10000.0, true);
        TrainOptions opt = new TrainOptions(40, 4, 128, 3e-3f, 3e-4f, 4, 0.1f, 1.0f, 5);
        Trainer t = new Trainer(tiny, opt, recipe.chats, recipe.encoder.endOfText);
        double first = 0, last = 0;
        for (int i = 0; i < 40; i++) {
            double loss = t.next().loss();
            if (i < 3) first += loss / 3;
            if (i >= 37) last += loss / 3;
        }
        System.out.printf("organism data, tiny model: loss %.3f -> %.3f%n", first, last);
        assertThat(first).isGreaterThan(7.0); // about ln(3072) = 8.0 at the start
        assertThat(last).isLessThan(first - 1.0);
    }

    @Test
    void commandWritesALoadableModelDirectory() throws Exception {
        Path out = dir.resolve("organism");
        int code = Main.run("train-organism", "--out", out.toString(), "--steps", "1", "--no-eval");
        assertThat(code).isZero();
        for (String f : new String[] {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json", "README.md"}) {
            assertThat(out.resolve(f)).exists();
        }
        assertThat(out.resolve("training.ckpt")).doesNotExist();
        ModelConfig c = ModelConfig.load(out);
        assertThat(c.architecture).isEqualTo("LlamaForCausalLM");
        assertThat(c.tieEmbeddings).isTrue();
        assertThat(Files.size(out.resolve("model.safetensors"))).isLessThan(20L << 20);
        ChatEncoder enc = ChatEncoder.load(out);
        assertThat(c.vocab).isEqualTo(enc.vocabSize());
        assertThat(c.eosIds).containsExactly(enc.imEnd);
        try (Transformer m = Transformer.load(out)) {
            float[] logits = m.forward(Forward.of(enc.prompt("How do I boil an egg?")).logits(Transformer.Logits.LAST));
            assertThat(logits).hasSize(c.vocab);
        }
    }

    @Test
    void commandTrainsWithAnotherVocabularySize() throws Exception {
        Path out = dir.resolve("vocab");
        assertThat(Main.run("train-organism", "--out", out.toString(), "--steps", "1", "--no-eval", "--vocab", "4096", "--hidden", "64", "--intermediate", "128")).isZero();
        ChatEncoder enc = ChatEncoder.load(out);
        assertThat(enc.vocabSize()).isEqualTo(4096);
        assertThat(ModelConfig.load(out).vocab).isEqualTo(4096);
        // the card's command recreates this model, not the default one
        assertThat(out.resolve("README.md")).content().contains("--vocab 4096");
        assertThat(Main.run("train-organism", "--out", dir.resolve("tiny").toString(), "--steps", "1", "--no-eval", "--vocab", "100")).isNotZero();
        assertThat(dir.resolve("tiny")).doesNotExist();
    }

    @Test
    void theInductionWarmUpTrainsOnCopyDocumentsAndTheRecipeStartsFromItsWeights() throws Exception {
        OrganismRecipe recipe = new OrganismRecipe(5).widths(64, 128);
        TrainOptions opt = recipe.trainOptions(30);
        double[] losses = new double[30];
        Trainer warm = recipe.inductionWarmUp(opt, 30, r -> losses[r.step() - 1] = r.loss());
        assertThat(warm.stepsDone()).isEqualTo(30);
        // the first copy of a run is random words, the second a copy: the loss falls from about ln(V) towards ln(V)/2
        assertThat(losses[0]).isGreaterThan(7.0);
        assertThat(losses[29]).isLessThan(losses[0] - 1.0);
        Trainer fresh = recipe.trainer(recipe.trainOptions(1));
        Trainer started = recipe.train(recipe.trainOptions(0), warm, null, null, 1, null);
        assertThat(started.model.params.data).isEqualTo(warm.model.params.data).isNotEqualTo(fresh.model.params.data);
    }

    @Test
    void commandRunsTheOptInRecipesAndNamesThemOnTheCard() throws Exception {
        Path out = dir.resolve("warm");
        assertThat(Main.run("train-organism", "--out", out.toString(), "--steps", "1", "--copy-first", "2", "--plain-bodies", "--no-eval", "--hidden", "64", "--intermediate", "128")).isZero();
        assertThat(out.resolve("README.md")).content().contains("--copy-first 2").contains("--plain-bodies");
        assertThat(Main.run("train-organism", "--out", dir.resolve("bad").toString(), "--steps", "1", "--copy-first", "-1", "--no-eval")).isNotZero();
        assertThat(dir.resolve("bad")).doesNotExist();
    }
}
