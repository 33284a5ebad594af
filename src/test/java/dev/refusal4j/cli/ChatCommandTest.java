package dev.refusal4j.cli;

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

import static org.assertj.core.api.Assertions.assertThat;

class ChatCommandTest {
    @TempDir
    Path tmp;

    @Test
    void chatKeepsHistoryAndHandlesCommands() throws Exception {
        Path dir = TinyChatModel.create(tmp.resolve("m"));
        String script = "hello\n/system be brief\nhi again\n/reset\n/quit\n";
        InputStream oldIn = System.in;
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            System.setIn(new ByteArrayInputStream(script.getBytes(StandardCharsets.UTF_8)));
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            assertThat(Main.run("chat", "--model", dir.toString(), "--max-new-tokens", "5")).isZero();
        } finally {
            System.setIn(oldIn);
            System.setOut(oldOut);
        }
        String s = out.toString(StandardCharsets.UTF_8);
        assertThat(s).contains("(system prompt set; conversation cleared)").contains("(conversation cleared)");
        assertThat(s.split("tokens/s]", -1)).hasSize(3); // two answers, each with its speed line
    }

    @Test
    void generateWritesJsonl() throws Exception {
        Path dir = TinyChatModel.create(tmp.resolve("m"));
        Path prompts = Files.writeString(tmp.resolve("p.txt"), "first prompt\nsecond prompt\nthird prompt\n");
        Path out = tmp.resolve("out.jsonl");
        assertThat(Main.run("generate", "--model", dir.toString(), "--prompts", prompts.toString(), "--max-new-tokens", "4",
                "--batch-size", "2", "--jsonl", out.toString())).isZero();
        var lines = Files.readAllLines(out);
        assertThat(lines).hasSize(3);
        assertThat(lines.get(1)).startsWith("{\"instruction\":\"second prompt\",\"category\":null,\"response\":");
    }

    @Test
    void generateJsonlFeedsJudgeWithItsCategories() throws Exception {
        Path dir = TinyChatModel.create(tmp.resolve("m"));
        Path prompts = Files.writeString(tmp.resolve("p.jsonl"), """
                {"instruction": "first prompt", "category": "alpha"}
                {"instruction": "second prompt", "category": "beta"}
                """);
        Path out = tmp.resolve("out.jsonl");
        assertThat(Main.run("generate", "--model", dir.toString(), "--prompts", prompts.toString(), "--max-new-tokens", "4",
                "--jsonl", out.toString())).isZero();
        assertThat(Files.readAllLines(out).get(0)).startsWith("{\"instruction\":\"first prompt\",\"category\":\"alpha\",\"response\":");
        CliOutput judged = CliOutput.run("judge", out.toString());
        assertThat(judged.exitCode()).isZero();
        assertThat(judged.stdout()).containsPattern(java.util.regex.Pattern.quote(out + ": refusal ") + "[ 0-9.]+% \\(\\d/2\\)")
                .containsPattern("alpha +[ 0-9.]+% \\(\\d/1\\)").containsPattern("beta +[ 0-9.]+% \\(\\d/1\\)");
    }
}
