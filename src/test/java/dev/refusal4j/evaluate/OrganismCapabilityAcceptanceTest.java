package dev.refusal4j.evaluate;

import dev.refusal4j.ProgressListener;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bundled organism on the capability checks written for it: 40 four-way questions in the style
 * of its word-meaning documents (src/test/resources/evaluate/organism-choices.jsonl) and 40 plain
 * English sentences (organism-corpus.txt). Prints acc, acc_norm and the corpus loss; gates acc_norm
 * above chance. The organism reads no free text in training (its documents are definitions between
 * end-of-text tokens), so its loss on plain sentences is near a uniform guess over its 3072 tokens.
 */
class OrganismCapabilityAcceptanceTest {
    static final Path MODEL = Path.of("models", "organism");
    static final Path TASK = Path.of("src", "test", "resources", "evaluate", "organism-choices.jsonl");
    static final Path CORPUS = Path.of("src", "test", "resources", "evaluate", "organism-corpus.txt");

    @Test
    void baselineScores() throws IOException {
        ChoiceTask task = ChoiceTask.read(TASK);
        assertThat(task.questions()).hasSize(40);
        try (Transformer m = Transformer.load(MODEL)) {
            Tokenizer tok = Tokenizer.load(MODEL);
            ChoiceAccuracy.Scores s = ChoiceAccuracy.evaluate(task, m, tok, null, ProgressListener.NONE);
            CorpusLoss corpus = CorpusLoss.read(CORPUS, tok, CorpusLoss.PAPER_WINDOW, CorpusLoss.PAPER_DOCUMENTS);
            CrossEntropy ce = corpus.crossEntropy(m, null, CorpusLoss.PAPER_BATCH, ProgressListener.NONE);
            System.out.printf(Locale.ROOT, "organism: acc %.4f ± %.4f, acc_norm %.4f ± %.4f (%d questions); corpus loss %.4f (%d tokens, %d documents)%n",
                    s.acc(), s.accStderr(), s.accNorm(), s.accNormStderr(), s.n(), ce.loss(), ce.tokens(), ce.sequences());
            assertThat(s.truncated()).isZero();
            assertThat(s.accNorm()).as("acc_norm on four choices, chance 0.25").isGreaterThanOrEqualTo(0.35);
            assertThat(ce.sequences()).isEqualTo(40);
            assertThat(ce.truncated()).isZero();
            assertThat(ce.loss()).isFinite();
        }
    }
}
