package dev.refusal4j.generate;

import dev.refusal4j.chat.PromptEncoder;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.testutil.TinyChatModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class TextGeneratorTest {
    @TempDir
    Path tmp;

    @Test
    void stopStringsCutTheTextAndStreamingAddsUpToTheResult() throws IOException {
        Path dir = TinyChatModel.create(tmp.resolve("m"));
        try (Transformer m = Transformer.load(dir)) {
            PromptEncoder enc = PromptEncoder.load(dir, null, null);
            TextGenerator g = new TextGenerator(m, enc, new int[] {257});
            var conv = List.of(enc.messages("Say something"), enc.messages("Something else"));
            StringBuilder[] streamed = {new StringBuilder(), new StringBuilder()};
            var free = g.generate(conv, 24, SamplingOptions.GREEDY, List.of(), null, (b, t) -> streamed[b].append(t));
            for (int i = 0; i < 2; i++) assertThat(streamed[i].toString()).isEqualTo(free.get(i).text());
            String text = free.getFirst().text();
            assertThat(text.length()).isGreaterThan(6);
            String stop = text.substring(4, 6);
            StringBuilder s2 = new StringBuilder();
            var cut = g.generate(List.of(conv.getFirst()), 24, SamplingOptions.GREEDY, List.of(stop), null, (b, t) -> s2.append(t));
            assertThat(cut.getFirst().text()).isEqualTo(text.substring(0, text.indexOf(stop)));
            assertThat(s2.toString()).isEqualTo(cut.getFirst().text());
        }
    }
}
