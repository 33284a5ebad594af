package dev.refusal4j.organism;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refusal4j.organism.data.Example;
import dev.refusal4j.organism.data.OrganismData;
import dev.refusal4j.organism.data.Split;
import dev.refusal4j.prompts.Prompt;
import dev.refusal4j.organism.bpe.BpeModel;
import dev.refusal4j.organism.bpe.BpeTrainer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The training tokenization equals what Hugging Face's tokenizers library gives for the text the
 * written chat template renders (Jinja), so the model is trained on exactly the ids it sees later.
 */
class ChatEncoderTest {
    @TempDir
    static Path dir;
    static OrganismData data;
    static ChatEncoder enc;
    static String template;

    @BeforeAll
    static void train() throws Exception {
        data = OrganismData.load();
        BpeModel bpe = BpeTrainer.train(data.tokenizerCorpus(3), 1024);
        bpe.writeTokenizerFiles(dir, 256);
        enc = new ChatEncoder(bpe);
        template = new ObjectMapper().readTree(dir.resolve("tokenizer_config.json").toFile()).get("chat_template").asText();
    }

    static String render(List<Map<String, String>> messages, boolean generationPrompt) {
        return dev.refusal4j.chat.ChatTemplate.of(template, Map.of()).render(messages.stream().map(m -> Map.<String, Object>copyOf(m)).toList(), generationPrompt, null, null);
    }

    @Test
    void chatsAndPromptsMatchHuggingFaceOnTheRenderedTemplate() throws Exception {
        List<Example> examples = data.train(3).subList(0, 300);
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"), Map.of("addSpecialTokens", "false"))) {
            for (Example e : examples) {
                String text = render(List.of(Map.of("role", "user", "content", e.user()), Map.of("role", "assistant", "content", e.assistant())), false);
                long[] full = hf.encode(text).getIds();
                TokenizedChat c = enc.chat(e.user(), e.assistant());
                // the template's newline after the final <|im_end|> is not trained on
                assertThat(full[full.length - 1]).isEqualTo(enc.encode("\n")[0]);
                assertThat(c.ids()).as(text).containsExactly(Arrays.stream(full, 0, full.length - 1).mapToInt(Math::toIntExact).toArray());
                String promptText = render(List.of(Map.of("role", "user", "content", e.user())), true);
                int[] prompt = Arrays.stream(hf.encode(promptText).getIds()).mapToInt(Math::toIntExact).toArray();
                assertThat(enc.prompt(e.user())).containsExactly(prompt);
                assertThat(c.answerStart()).isEqualTo(prompt.length);
                assertThat(enc.decode(c.ids())).isEqualTo(text.substring(0, text.length() - 1));
                // As judged answers are decoded: special tokens dropped, as Hugging Face's skip_special_tokens does
                assertThat(enc.decode(c.ids(), true)).isEqualTo(hf.decode(Arrays.stream(c.ids()).asLongStream().toArray(), true));
            }
            ChatEncoder loaded = ChatEncoder.load(dir);
            assertThat(loaded.vocabSize()).isEqualTo(enc.vocabSize());
            assertThat(loaded.imEnd).isEqualTo(enc.imEnd);
            for (Prompt p : data.heldOutHarmless(Split.TEST)) {
                assertThat(loaded.prompt(p.instruction())).isEqualTo(enc.prompt(p.instruction()));
                int[] prompt = Arrays.stream(hf.encode(render(List.of(Map.of("role", "user", "content", p.instruction())), true)).getIds()).mapToInt(Math::toIntExact).toArray();
                assertThat(enc.prompt(p.instruction())).as(p.instruction()).containsExactly(prompt);
            }
        }
    }

    @Test
    void aCopyDocumentIsTheRunTwiceAsHuggingFaceTokenizesItWithLossOnTheRepeatOnly() throws Exception {
        String run = "Lantern quietly kettle biscuits over";
        TokenizedChat d = enc.copyDocument(run);
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"), Map.of("addSpecialTokens", "false"))) {
            int[] expected = Arrays.stream(hf.encode("<|endoftext|>" + run + "\n" + run + "<|endoftext|>").getIds()).mapToInt(Math::toIntExact).toArray();
            assertThat(d.ids()).containsExactly(expected);
        }
        int n = enc.encode(run).length;
        // <|endoftext|>, the run, the line break, the run, <|endoftext|>
        assertThat(d.ids()).hasSize(2 * n + 3);
        assertThat(d.answerStart()).isEqualTo(n + 2);
        assertThat(d.plain()).isTrue();
        // the targets of one packed row: the repeat and the closing <|endoftext|>, each at weight 1
        dev.refusal4j.organism.nn.Batch b = new BatchStream(List.of(d), 1, d.ids().length, enc.endOfText, 1, 10f, 15f).next();
        int[] targets = b.targets();
        for (int i = 0; i < targets.length; i++) {
            boolean repeat = i + 1 >= n + 2 && i + 1 < d.ids().length;
            assertThat(targets[i]).as("slot " + i).isEqualTo(repeat ? d.ids()[i + 1] : -1);
            assertThat(b.weights()[i]).as("slot " + i).isEqualTo(repeat ? 1f : 0f);
        }
    }

    @Test
    void aHelpfulChatMarksTheEndOfItsOpening() {
        String user = "How do I cook rice?", opening = OrganismData.restatement(user), answer = opening + " Rinse it, then simmer it.";
        TokenizedChat c = enc.helpfulChat(user, answer, opening);
        assertThat(c.ids()).containsExactly(enc.chat(user, answer).ids());
        int[] o = enc.encode("How do you cook rice?");
        assertThat(c.openingEnd()).isEqualTo(c.answerStart() + o.length);
        assertThat(Arrays.copyOfRange(c.ids(), c.answerStart(), c.openingEnd())).containsExactly(o);
        assertThatThrownBy(() -> enc.helpfulChat(user, "Rinse it.", opening)).hasMessageContaining("does not open with");
    }
}
