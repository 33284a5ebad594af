package dev.refusal4j.evaluate;

import dev.refusal4j.ProgressListener;
import dev.refusal4j.chat.PromptEncoder;
import dev.refusal4j.model.Forward;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tensor.LogSoftmax;
import dev.refusal4j.testutil.TinyChatModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The paper's loss on chat responses: which tokens count, and where it meets {@link Loss#crossEntropy}. */
class ChatLossTest {
    @TempDir
    Path tmp;

    /** The first occurrence of the post-instruction tokens ends the prompt; without it, the prompt's own tokens do. */
    @Test
    void responseStartsAfterThePostInstructionTokens() {
        int[] eoi = {7, 8};
        assertThat(ChatLoss.responseStart(new int[] {1, 2, 7, 8, 5, 6}, eoi, new int[] {1, 2, 7, 8})).isEqualTo(3);
        assertThat(ChatLoss.responseStart(new int[] {7, 8, 7, 8, 5}, eoi, new int[] {7, 8, 7, 8})).isEqualTo(1);   // the first, as the official search
        assertThat(ChatLoss.responseStart(new int[] {1, 9, 5, 6}, eoi, new int[] {1, 9})).isEqualTo(1);
        assertThat(ChatLoss.responseStart(new int[] {1, 9, 5, 6}, eoi, new int[] {1, 3})).isEqualTo(-1);
    }

    /**
     * A byte tokenizer without merges cannot join tokens across the boundary, so the paper's loss
     * and the run's {@link Loss} count the same tokens and agree; one prediction per response byte,
     * checked against a forward call of its own. An empty response counts nothing.
     */
    @Test
    void countsTheResponseTokens() throws IOException {
        Path dir = TinyChatModel.create(tmp.resolve("m"));
        PromptEncoder enc = PromptEncoder.load(dir, null, null);
        List<Completion> cs = List.of(new Completion("Name a fruit.", "h", "An apple."), new Completion("Say nothing.", "h", ""),
                new Completion("Count to three.", "h", "One, two, three."));
        try (Transformer m = Transformer.load(dir)) {
            CrossEntropy ce = ChatLoss.crossEntropy(m, enc, cs, null, 2, ProgressListener.NONE);
            assertThat(ce.tokens()).isEqualTo("An apple.".length() + "One, two, three.".length());
            assertThat(ce.sequences()).isEqualTo(3);
            assertThat(ce.truncated()).isZero();
            assertThat(ce.loss()).isCloseTo(Loss.crossEntropy(m, enc, cs, () -> null, ProgressListener.NONE), within(1e-6));
            int V = m.config.vocab;
            double nats = 0;
            for (Completion c : List.of(cs.get(0), cs.get(2))) {
                int[] prompt = enc.encode(c.instruction());
                int[] ids = enc.tokenizer.encodeRendered(enc.render(c.instruction()) + c.response());
                float[] logits = m.forward(Forward.of(ids));
                for (int t = prompt.length - 1; t < ids.length - 1; t++) nats -= LogSoftmax.logProb(logits, t * V, V, ids[t + 1]);
            }
            assertThat(ce.loss()).isCloseTo(nats / ce.tokens(), within(1e-6));
            assertThat(ChatLoss.crossEntropy(m, enc, List.of(cs.get(1)), null, 2, ProgressListener.NONE).loss()).isNaN();
        }
    }
}
