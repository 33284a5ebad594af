package dev.refusal4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refusal4j.testutil.Shared;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code tokenize} contract: one {"ids", "pieces"} JSON object a line. */
class TokenizeCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String[] run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new String[]{String.valueOf(code), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void textWithAndWithoutSpecialTokens() throws Exception {
        String dir = Shared.path("tokenizers", "hf", "tinyllama-chat").toString();
        // Expected ids from shared/tokenizers/expected/swift-transformers-encoded/tokenizer_tests.json ("hello world").
        String[] r = run("tokenize", "--model", dir, "--text", "hello world", "--add-special-tokens");
        assertThat(r[0]).isEqualTo("0");
        JsonNode o = JSON.readTree(r[1]);
        assertThat(o.get("ids").toString()).isEqualTo("[1,22172,3186]");
        assertThat(o.get("pieces").toString()).isEqualTo("[\"<s>\",\"▁hello\",\"▁world\"]");
        r = run("tokenize", "--model", dir, "--text", "hello world");
        assertThat(JSON.readTree(r[1]).get("ids").toString()).isEqualTo("[22172,3186]");
    }

    @Test
    void textsFileGivesOneLineEach(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("texts.jsonl");
        Files.writeString(f, "{\"text\": \"hello world\"}\n{\"text\": \"<|im_start|>Hi\"}\n");
        String dir = Shared.path("tokenizers", "hf", "qwen2.5-vocab-merges").toString();
        String[] r = run("tokenize", "--model", dir, "--texts", f.toString());
        assertThat(r[0]).isEqualTo("0");
        String[] lines = r[1].strip().split("\n");
        assertThat(lines).hasSize(2);
        assertThat(JSON.readTree(lines[1]).get("ids").get(0).asInt()).isEqualTo(151644);
        assertThat(JSON.readTree(lines[1]).get("pieces").get(0).asText()).isEqualTo("<|im_start|>");
    }

    @Test
    void badInputIsAClearError(@TempDir Path tmp) throws Exception {
        String[] r = run("tokenize", "--model", tmp.resolve("missing").toString(), "--text", "x");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).startsWith("error: ").contains("missing");
        Path f = tmp.resolve("bad.jsonl");
        Files.writeString(f, "{\"txt\": 1}\n");
        r = run("tokenize", "--model", Shared.path("tokenizers", "hf", "falcon").toString(), "--texts", f.toString());
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("bad.jsonl").contains("line 1");
    }
}
