package dev.refusal4j.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refusal4j.io.Json;
import dev.refusal4j.report.SyntheticRun;
import dev.refusal4j.testutil.TinyChatModel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real commands ({@code dev.refusal4j.cli.Main} in a child JVM with a 256 MB heap and a time
 * limit) on hostile input: each ends within the limit, with a non-zero exit and one line on stderr
 * naming the damaged file and no stack trace, and leaves its input files as they were.
 */
class HostileCliTest {
    static final long TIMEOUT_S = 120;
    static final String HEAP = "-Xmx256m";

    @TempDir
    Path dir;

    record Result(int exit, String out, String err) {}

    /** Runs the command line in a child JVM with {@link #HEAP}; fails when it runs past {@link #TIMEOUT_S}. */
    static Result cli(Path workDir, String... args) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, HEAP, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "dev.refusal4j.cli.Main"));
        cmd.addAll(List.of(args));
        Path out = workDir.resolve("stdout.txt"), err = workDir.resolve("stderr.txt");
        Process p = new ProcessBuilder(cmd).directory(Path.of("").toAbsolutePath().toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(TIMEOUT_S, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("refusal4j " + String.join(" ", args) + " ran past " + TIMEOUT_S + " s");
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    /** The JVM's own notice at every start (the refusal4j launcher drops it too). */
    static final String INCUBATOR = "WARNING: Using incubator modules: jdk.incubator.vector";

    /** Exit 1, and stderr is one "error: ..." line that names the file, without a stack trace. */
    static void assertRefused(Result r, String file) {
        assertThat(r.exit()).as(r.err()).isNotZero();
        List<String> lines = r.err().lines().filter(l -> !l.isBlank() && !l.equals(INCUBATOR)).toList();
        assertThat(lines).as(r.err()).hasSize(1);
        assertThat(lines.getFirst()).startsWith("error: ").contains(file).doesNotContain("Exception in thread").doesNotContain("\tat ");
    }

    /** SHA-256 of every file under the folders, by path: the inputs must come out as they went in. */
    static Map<String, String> hashes(Path... roots) throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (Path root : roots) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    try {
                        out.put(f.toString(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f))));
                    } catch (java.security.NoSuchAlgorithmException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        }
        return out;
    }

    @Test
    void safetensorsDeclaringAHugeTensorIsRefused() throws Exception {
        Path model = TinyChatModel.create(dir.resolve("model"));
        // the first tensor declares [2^20, 2^20] F32 (4 TiB) in a 600 kB file; the header keeps its length
        Path st = model.resolve("model.safetensors");
        byte[] b = Files.readAllBytes(st);
        long n = ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectNode header = (ObjectNode) Json.MAPPER.readTree(new String(b, 8, (int) n, StandardCharsets.UTF_8));
        ObjectNode first = (ObjectNode) header.properties().stream().filter(e -> !e.getKey().equals("__metadata__")).findFirst().orElseThrow().getValue();
        first.putArray("shape").add(1L << 20).add(1L << 20);
        first.putArray("data_offsets").add(0).add(1L << 42);
        byte[] h = Json.LINE.writeValueAsBytes(header);
        ByteBuffer out = ByteBuffer.allocate(8 + h.length + b.length - 8 - (int) n).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(h.length).put(h).put(b, 8 + (int) n, b.length - 8 - (int) n);
        Files.write(st, out.array());
        Map<String, String> before = hashes(model);

        Result r = cli(dir, "forward", "--model", model.toString(), "--ids", "1,2,3", "--out", dir.resolve("f.safetensors").toString());

        assertRefused(r, "model.safetensors");
        assertThat(hashes(model)).isEqualTo(before);
        assertThat(dir.resolve("f.safetensors")).doesNotExist();
    }

    @Test
    void tokenizerWithAnIdBeyondTheLimitIsRefused() throws Exception {
        Path model = dir.resolve("tok");
        Files.createDirectories(model);
        ObjectNode tok = (ObjectNode) Json.MAPPER.readTree(Path.of("models", "organism", "tokenizer.json").toFile());
        ((ObjectNode) tok.get("model").get("vocab")).put("!", Integer.MAX_VALUE);
        Files.write(model.resolve("tokenizer.json"), Json.MAPPER.writeValueAsBytes(tok));
        Map<String, String> before = hashes(model);

        Result r = cli(dir, "tokenize", "--model", model.toString(), "--text", "hello");

        assertRefused(r, "tokenizer.json");
        assertThat(hashes(model)).isEqualTo(before);
    }

    @Test
    void tenMegabytePromptFileThatIsNotUtf8IsRefused() throws Exception {
        Path prompts = Files.createDirectories(dir.resolve("prompts"));
        byte[] big = new byte[10 << 20];
        java.util.Arrays.fill(big, (byte) 'a');
        big[big.length - 2] = (byte) 0xE9; // Latin-1 é at the end of one 10 MB line
        big[big.length - 1] = '\n';
        Files.write(prompts.resolve("harmful.txt"), big);
        Map<String, String> before = hashes(prompts);

        Result r = cli(dir, "prompts", prompts.resolve("harmful.txt").toString());

        assertRefused(r, "harmful.txt");
        assertThat(r.err()).contains("line 1", "not UTF-8");
        assertThat(hashes(prompts)).isEqualTo(before);
    }

    @Test
    void tenMegabytePromptIsRefusedBeforeAnyWork() throws Exception {
        Path prompts = Files.createDirectories(dir.resolve("prompts"));
        String huge = "word ".repeat(2 << 20); // 10 MB, one prompt
        StringBuilder harmful = new StringBuilder(huge).append('\n');
        for (int i = 0; i < 4; i++) harmful.append("harmful request ").append(i).append('\n');
        Files.writeString(prompts.resolve("harmful.txt"), harmful);
        StringBuilder harmless = new StringBuilder();
        for (int i = 0; i < 5; i++) harmless.append("harmless request ").append(i).append('\n');
        Files.writeString(prompts.resolve("harmless.txt"), harmless);
        Map<String, String> before = hashes(prompts);
        Path out = dir.resolve("run");

        // refused when the file is read (PromptLoader.MAX_PROMPT_CHARS), before the model is loaded
        Result r = cli(dir, "run", "--harmful-train", prompts.resolve("harmful.txt").toString(),
                "--harmless-train", prompts.resolve("harmless.txt").toString(), "--n-train", "3", "--n-val", "1", "--n-test", "1",
                "--max-new-tokens", "2", "--quiet", "--out", out.toString());

        assertRefused(r, "harmful.txt");
        assertThat(r.err()).contains("prompt 1 has", "more than the limit of 1000000");
        assertThat(hashes(prompts)).isEqualTo(before);
        assertThat(out.resolve("candidates.json")).doesNotExist();
    }

    @Test
    void templateWithAHugeLoopIsStoppedByTheEngineLimits() throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.writeString(model.resolve("chat_template.jinja"),
                "{% for i in range(100000) %}{% for j in range(100000) %}{{ 'x' * 1000 }}{% endfor %}{% endfor %}");
        Path messages = dir.resolve("messages.json");
        Files.writeString(messages, "[{\"role\": \"user\", \"content\": \"Hi\"}]");
        Map<String, String> before = hashes(model);

        Result r = cli(dir, "template", "--model", model.toString(), "--messages", messages.toString());

        assertRefused(r, "chat_template.jinja");
        assertThat(hashes(model)).isEqualTo(before);
    }

    @Test
    void resumeWithADamagedPromptSetIsRefusedAndLeavesTheRunFolderAlone() throws Exception {
        Path out = dir.resolve("run");
        Path prompts = Files.createDirectories(out.resolve("prompts"));
        for (String n : dev.refusal4j.prompts.RunPrompts.NAMES) Files.writeString(prompts.resolve(n + ".json"), "[\"a prompt\"]");
        Files.write(prompts.resolve("harmful_val.json"), new byte[]{'[', '"', (byte) 0xFF, '"', ']'});
        Map<String, String> before = hashes(prompts);

        Result r = cli(dir, "directions", "--resume", "--quiet", "--out", out.toString());

        assertRefused(r, "harmful_val.json");
        assertThat(hashes(prompts)).isEqualTo(before);
    }

    @Test
    void reportOfARunWithAHugeLayerCountIsWrittenWithAWarning() throws Exception {
        Path run = dir.resolve("run");
        SyntheticRun.write(run, 1);
        ObjectNode c = (ObjectNode) Json.MAPPER.readTree(run.resolve("candidates.json").toFile());
        c.put("num_layers", 1_000_000_000);
        c.put("model", "M".repeat(200_000));
        Files.write(run.resolve("candidates.json"), Json.MAPPER.writeValueAsBytes(c));
        Map<String, String> before = hashes(run);

        Result r = cli(dir, "report", "--run", run.toString());

        // the report reads a run tolerantly: it is written, and what was ignored is a warning naming the file
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("warning: candidates.json: num_layers 1000000000").doesNotContain("Exception");
        Map<String, String> after = hashes(run);
        after.keySet().removeIf(k -> k.endsWith("report.html") || k.contains("/plots/"));
        assertThat(after).isEqualTo(before);
    }
}
