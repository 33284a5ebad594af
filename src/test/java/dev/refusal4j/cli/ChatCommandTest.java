package dev.refusal4j.cli;

import dev.refusal4j.direction.RefusalDirection;
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
        assertThat(s.lines().toList().get(1)).isEqualTo("steering: none (the model as it is)");
        assertThat(s).contains("(system prompt set; conversation cleared)").contains("(conversation cleared)");
        assertThat(s.split("tokens/s]", -1)).hasSize(3); // two answers, each with its speed line
    }

    @Test
    void chatSaysWhichSteeringIsOn() throws Exception {
        Path dir = TinyChatModel.create(tmp.resolve("m")); // 3 layers, hidden 64
        float[] v = new float[64];
        v[0] = 1;
        Path d = tmp.resolve("direction.safetensors");
        new RefusalDirection(v, 1, -2, Map.of()).write(d);
        String s = chat("/quit\n", "--model", dir.toString(), "--direction", d.toString(), "--ablate");
        assertThat(s.lines().toList().get(1))
                .isEqualTo("steering: ablating " + d + " (layer 1, position -2) at all 3 layers (resid_pre, attn_out, mlp_out)");
        s = chat("/quit\n", "--model", dir.toString(), "--direction", d.toString(), "--add", "-1.5");
        assertThat(s.lines().toList().get(1)).isEqualTo("steering: adding -1.5 × " + d + " (layer 1, position -2) at layer 1 (resid_pre)");
    }

    @Test
    void onATerminalLinesCanBeEditedAndRecalled() throws Exception {
        // the keys an xterm sends: "hello", Enter, Up (recalls "hello"), Left, Left, "xy", Enter, Ctrl-D
        byte[] keys = "hello\r\u001bOA\u001bOD\u001bODxy\r\u0004".getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        org.jline.terminal.Terminal t = org.jline.terminal.TerminalBuilder.builder().system(false).type("xterm")
                .streams(new ByteArrayInputStream(keys), screen).size(new org.jline.terminal.Size(80, 24)).build();
        try (ChatCommand.Input in = ChatCommand.Input.editor(t)) {
            assertThat(in.readLine("> ")).isEqualTo("hello");
            assertThat(in.readLine("> ")).isEqualTo("helxylo");
            assertThat(in.readLine("> ")).isNull();
        }
    }

    private static String chat(String script, String... args) {
        InputStream oldIn = System.in;
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            System.setIn(new ByteArrayInputStream(script.getBytes(StandardCharsets.UTF_8)));
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            String[] all = new String[args.length + 1];
            all[0] = "chat";
            System.arraycopy(args, 0, all, 1, args.length);
            assertThat(Main.run(all)).isZero();
        } finally {
            System.setIn(oldIn);
            System.setOut(oldOut);
        }
        return out.toString(StandardCharsets.UTF_8);
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
