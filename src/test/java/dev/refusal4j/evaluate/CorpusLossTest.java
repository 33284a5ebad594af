package dev.refusal4j.evaluate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.ProgressListener;
import dev.refusal4j.io.Json;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.testutil.Npz;
import dev.refusal4j.testutil.Shared;
import dev.refusal4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The paper's corpus loss, checked by hand and against the golden models' float64 reference logits. */
class CorpusLossTest {
    @TempDir
    Path tmp;

    static List<int[]> goldenSequences(Map<String, Npz.Array> ref) {
        return List.of(ChoiceAccuracyTest.ids(ref, 0), ChoiceAccuracyTest.ids(ref, 1), ChoiceAccuracyTest.ids(ref, 2));
    }

    /** With the final norm's output zeroed, every logit is 0: each prediction costs ln(vocab) exactly. */
    @Test
    void uniformLogitsCostLnVocab() throws IOException {
        Path dir = Shared.path("golden", "llama");
        try (Transformer m = Transformer.load(dir)) {
            CorpusLoss corpus = CorpusLoss.ofTokens("golden llama", goldenSequences(Npz.read(dir.resolve("expected.npz"))), 256);
            CrossEntropy ce = corpus.crossEntropy(m, () -> new Hooks().add(Hooks.FINAL_NORM, a -> Arrays.fill(a.array(), a.offset(), a.offset() + a.rows() * a.width, 0f)),
                    2, ProgressListener.NONE);
            assertThat(ce.loss()).isCloseTo(Math.log(256), within(1e-12));
            assertThat(ce.perplexity()).isCloseTo(256, within(1e-9));
            assertThat(ce.tokens()).isEqualTo(0 + 6 + 18);   // the 1-token sequence predicts nothing
            assertThat(ce.sequences()).isEqualTo(3);
        }
    }

    /**
     * The reference's log-probabilities, with a window of 12 (the 19-token sequence keeps its first
     * 12 tokens, whose logits are the reference's first 12 rows: attention is causal). Every batch
     * size gives the same loss.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"llama", "gemma2", "qwen3", "phi3"})
    void matchesTheReferenceLogits(String name) throws IOException {
        Path dir = Shared.path("golden", name);
        Map<String, Npz.Array> ref = Npz.read(dir.resolve("expected.npz"));
        double nats = 0;
        int terms = 0;
        for (int s = 1; s <= 2; s++) {
            int n = Math.min(ChoiceAccuracyTest.ids(ref, s).length, 12);
            nats -= ChoiceAccuracyTest.reference(ref, s, 1, n);
            terms += n - 1;
        }
        double expected = nats / terms;
        CorpusLoss corpus = CorpusLoss.ofTokens("golden " + name, goldenSequences(ref), 12);
        assertThat(corpus.tokens()).isEqualTo(terms);
        assertThat(corpus.truncated()).isEqualTo(1);
        try (Transformer m = Transformer.load(dir)) {
            for (int batch : new int[] {1, 2, 3}) {
                CrossEntropy ce = corpus.crossEntropy(m, null, batch, ProgressListener.NONE);
                assertThat(ce.loss()).as(name + ", batch " + batch).isCloseTo(expected, within(1e-5));
                assertThat(ce.tokens()).isEqualTo(terms);
                assertThat(ce.truncated()).isEqualTo(1);
            }
        }
    }

    /**
     * Hugging Face's truncation keeps the special tokens: TinyLlama's window of 4 is BOS and the
     * first three tokens of the text (HF's ids for the sentence, cut there). JSONL and plain text
     * give the same documents; blank lines are skipped; the document limit reads the first ones.
     */
    @Test
    void readsJsonlAndTextAndCutsAsHuggingFaceDoes() throws IOException {
        String text = "Hello, how are you doing today?";
        int[] hf = ChoiceAccuracyTest.hfIds(text).get("tinyllama-chat");
        Tokenizer tok = Tokenizer.load(Shared.path("tokenizers", "hf", "tinyllama-chat"));
        assertThat(CorpusLoss.truncate(tok, text, tok.encode(text, true), 4)).containsExactly(Arrays.copyOf(hf, 4));
        Path jsonl = tmp.resolve("c.jsonl"), txt = tmp.resolve("c.txt");
        Files.writeString(jsonl, "{\"text\": \"" + text + "\", \"meta\": {\"set\": \"x\"}}\n\n{\"text\": \"Fine.\"}\n{\"text\": \"unread\"}\n");
        Files.writeString(txt, text + "\n   \nFine.\nunread\n");
        for (Path f : List.of(jsonl, txt)) {
            CorpusLoss c = CorpusLoss.read(f, tok, 4, 2);
            assertThat(c.documents()).isEqualTo(2);
            assertThat(c.truncated()).isEqualTo(1);
            assertThat(c.tokens()).isEqualTo(3 + (tok.encode("Fine.", true).length - 1));
        }
    }

    @Test
    void badInputNamesTheFileAndLine() throws IOException {
        Tokenizer tok = Tokenizer.load(Shared.path("tokenizers", "hf", "tinyllama-chat"));
        Path empty = tmp.resolve("empty.jsonl");
        Files.writeString(empty, "\n  \n");
        assertThatThrownBy(() -> CorpusLoss.read(empty, tok, 256, 10)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty.jsonl has no documents");
        Path bad = tmp.resolve("bad.jsonl");
        Files.writeString(bad, "{\"text\": \"fine\"}\n{\"text\": \"broken\n");
        assertThatThrownBy(() -> CorpusLoss.read(bad, tok, 256, 10)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bad.jsonl, line 2: not valid JSON");
        Path noText = tmp.resolve("notext.jsonl");
        Files.writeString(noText, "{\"content\": \"fine\"}\n");
        assertThatThrownBy(() -> CorpusLoss.read(noText, tok, 256, 10)).hasMessageContaining("notext.jsonl, line 1: no \"text\" string");
        Path blank = tmp.resolve("blank.jsonl");
        Files.writeString(blank, "{\"text\": \"\"}\n");
        assertThatThrownBy(() -> CorpusLoss.read(blank, tok, 256, 10)).hasMessageContaining("blank.jsonl, line 1: the \"text\" is empty");
        Path latin1 = tmp.resolve("latin1.txt");
        Files.write(latin1, new byte[] {'c', 'a', 'f', (byte) 0xE9, '\n'});
        assertThatThrownBy(() -> CorpusLoss.read(latin1, tok, 256, 10)).hasMessageContaining("latin1.txt is not UTF-8 text");
        assertThatThrownBy(() -> CorpusLoss.read(tmp.resolve("missing.txt"), tok, 256, 10)).hasMessageContaining("corpus file not found");
        // a window the model's context cannot hold: the first document that needs it is named
        Path dir = Shared.path("golden", "llama");
        try (Transformer m = Transformer.load(dir)) {
            Path longer = tmp.resolve("long.txt");
            Files.writeString(longer, "short\n" + "word ".repeat(3000) + "\n");
            CorpusLoss c = CorpusLoss.read(longer, tok, 4096, 10);
            assertThatThrownBy(() -> c.crossEntropy(m, null, 2, ProgressListener.NONE)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("long.txt, line 2").hasMessageContaining("does not fit the model's context of 2048");
        }
    }

    /** The paper's published settings: 2048 batches of 2 documents, 256 tokens each. */
    @Test
    void paperSettings() throws IOException {
        assertThat(CorpusLoss.PAPER_WINDOW).isEqualTo(256);
        assertThat(CorpusLoss.PAPER_DOCUMENTS).isEqualTo(4096);
        assertThat(CorpusLoss.PAPER_BATCH).isEqualTo(2);
        // the paper's gemma-2b-it Pile loss read 906802 tokens from its 4096 documents: at most 255 each
        JsonNode pile = Json.read(Shared.path("datasets", "refusal_direction_runs", "runs", "gemma-2b-it", "loss_evals", "baseline_loss_eval.json")).get("pile");
        assertThat(pile.get("n_tokens").asLong()).isLessThanOrEqualTo((long) CorpusLoss.PAPER_DOCUMENTS * (CorpusLoss.PAPER_WINDOW - 1));
        assertThat(pile.get("perplexity").asDouble()).isCloseTo(Math.exp(pile.get("ce_loss").asDouble()), within(1e-9));
    }
}
