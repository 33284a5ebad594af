package dev.refusal4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.io.Json;
import dev.refusal4j.testutil.TinyChatModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What generate and chat check before generating (their --jsonl output, the steering direction,
 * the sampling options, the prompt's token ids): each bad input is one line naming it and exit 1,
 * where the unchecked input used to give an unsteered answer, an empty one or an index error.
 */
class GenerateChecksTest {
    @TempDir
    Path tmp;

    record Run(int rc, String out, String err) {}

    static Run run(String stdin, String... args) {
        InputStream oldIn = System.in;
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int rc;
        try {
            if (stdin != null) System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            rc = Main.run(args);
        } finally {
            System.setIn(oldIn);
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Path direction(int layer, int width) throws Exception {
        float[] v = new float[width];
        for (int i = 0; i < width; i++) v[i] = (i % 3) - 1f;
        Path f = tmp.resolve("direction-" + layer + "-" + width + ".safetensors");
        new RefusalDirection(v, layer, -1, Map.of()).write(f);
        return f;
    }

    @Test
    void aDirectionWhoseLayerTheModelLacksIsAnErrorInGenerateAndChat() throws Exception {
        Path model = TinyChatModel.create(tmp.resolve("m")); // 3 layers, hidden 64
        for (int layer : new int[] {99, 3, -2}) {
            Path d = direction(layer, 64);
            Run g = run(null, "generate", "--model", model.toString(), "--prompt", "hi", "--max-new-tokens", "2", "--direction", d.toString(), "--add", "1");
            assertThat(g.rc()).as("generate, layer " + layer).isEqualTo(1);
            assertThat(g.err()).contains(d.toString()).contains("layer " + layer + " is outside the model").contains("has 3 layers");
            assertThat(g.out()).isEmpty();
            Run c = run("hello\n/quit\n", "chat", "--model", model.toString(), "--max-new-tokens", "2", "--direction", d.toString(), "--add", "1");
            assertThat(c.rc()).as("chat, layer " + layer).isEqualTo(1);
            assertThat(c.err()).contains("layer " + layer + " is outside the model");
        }
        Path narrow = direction(1, 32);
        Run g = run(null, "generate", "--model", model.toString(), "--prompt", "hi", "--max-new-tokens", "2", "--direction", narrow.toString(), "--ablate");
        assertThat(g.rc()).isEqualTo(1);
        assertThat(g.err()).contains("has 32 values").contains("hidden_size 64");
        Path fits = direction(2, 64);
        assertThat(run(null, "generate", "--model", model.toString(), "--prompt", "hi", "--max-new-tokens", "2", "--direction", fits.toString(), "--add", "1").rc()).isZero();
    }

    @Test
    void samplingOptionsOutOfRangeAreErrorsNamingTheOption() throws Exception {
        Path model = TinyChatModel.create(tmp.resolve("m"));
        String[][] bad = {
                {"--temperature", "NaN"}, {"--temperature", "-1"}, {"--temperature", "Infinity"}, {"--top-p", "0"}, {"--top-p", "1.5"},
                {"--top-p", "NaN"}, {"--top-k", "-1"}, {"--min-p", "-0.1"}, {"--min-p", "2"}, {"--repetition-penalty", "0"},
                {"--repetition-penalty", "NaN"}, {"--max-new-tokens", "-1"}};
        for (String[] o : bad) {
            Run r = o[0].equals("--max-new-tokens")
                    ? run(null, "generate", "--model", model.toString(), "--prompt", "hi", o[0], o[1])
                    : run(null, "generate", "--model", model.toString(), "--prompt", "hi", "--max-new-tokens", "2", o[0], o[1]);
            assertThat(r.rc()).as(String.join(" ", o)).isEqualTo(1);
            assertThat(r.err()).as(String.join(" ", o)).startsWith("error: " + o[0] + " ").doesNotContain("\n\t").hasLineCount(1);
        }
        Run chat = run("hello\n/quit\n", "chat", "--model", model.toString(), "--temperature", "NaN");
        assertThat(chat.rc()).isEqualTo(1);
        assertThat(chat.err()).contains("--temperature NaN");
        assertThat(run(null, "generate", "--model", model.toString(), "--prompt", "hi", "--max-new-tokens", "2", "--temperature", "0.7", "--top-p", "0.9").rc()).isZero();
    }

    @Test
    void aPromptTokenBeyondTheModelsVocabularyIsNamed() throws Exception {
        Path model = TinyChatModel.create(tmp.resolve("m")); // vocab_size 320
        Path tj = model.resolve("tokenizer.json");
        ObjectNode tok = (ObjectNode) Json.MAPPER.readTree(tj.toFile());
        tok.withArray("added_tokens").addObject().put("id", 9999).put("content", "<|big|>").put("single_word", false).put("lstrip", false)
                .put("rstrip", false).put("normalized", false).put("special", true);
        Files.writeString(tj, Json.MAPPER.writeValueAsString(tok));
        Run r = run(null, "generate", "--model", model.toString(), "--prompt", "hi <|big|>", "--max-new-tokens", "2");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).contains("token id 9999").contains("vocab_size 320");
        Run f = run(null, "forward", "--model", model.toString(), "--ids", "1,320", "--out", tmp.resolve("f.safetensors").toString());
        assertThat(f.rc()).isEqualTo(1);
        assertThat(f.err()).contains("token id 320").contains("vocab_size 320");
        assertThat(tmp.resolve("f.safetensors")).doesNotExist();
    }

    @Test
    void jsonlIsNeverWrittenOverThePromptsOrIntoTheModel() throws Exception {
        Path model = TinyChatModel.create(tmp.resolve("m"));
        Path prompts = Files.writeString(tmp.resolve("p.txt"), "first\nsecond\n");
        Run over = run(null, "generate", "--model", model.toString(), "--prompts", prompts.toString(), "--max-new-tokens", "2", "--jsonl", prompts.toString());
        assertThat(over.rc()).isEqualTo(1);
        assertThat(over.err()).contains("--jsonl " + prompts + " is the input prompt file");
        assertThat(prompts).hasContent("first\nsecond\n");
        Run into = run(null, "generate", "--model", model.toString(), "--prompt", "hi", "--max-new-tokens", "2", "--jsonl", model.resolve("out.jsonl").toString());
        assertThat(into.rc()).isEqualTo(1);
        assertThat(into.err()).contains("inside the input model folder");
        assertThat(model.resolve("out.jsonl")).doesNotExist();
    }
}
