package dev.refusal4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refusal4j.io.Json;
import dev.refusal4j.io.SafetensorsFile;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tensor.DType;
import dev.refusal4j.export.GgufConverter;
import dev.refusal4j.tensor.quant.GgmlType;
import dev.refusal4j.testutil.TinyChatModel;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --model FILE.gguf} in the commands, end to end: the bundled organism and the tiny chat
 * model written as llama.cpp's converter writes them (F32, with their vocabulary and chat template;
 * the tiny one also split in three parts, named by its second part) give what their Hugging Face
 * folders give, byte for byte: token ids, prompts, generations, logits, a chat, a GCG suffix, a
 * suffix analysis and a whole run. A Q8_0 organism generates; a bad model path is one line.
 */
class GgufCommandsTest {
    @TempDir
    static Path tmp;
    static Path organism, organismGguf, organismQ8, tiny, tinyGguf, tinySplitPart2;

    @BeforeAll
    static void convert() throws Exception {
        organism = Defaults.model();
        Path gguf = Files.createDirectories(tmp.resolve("gguf"));
        organismGguf = GgufConverter.of(organism).write(gguf.resolve("organism.gguf"));
        organismQ8 = GgufConverter.of(organism).type(GgmlType.Q8_0).write(gguf.resolve("organism-Q8_0.gguf"));
        tiny = TinyChatModel.create(tmp.resolve("tiny"));
        tinyGguf = GgufConverter.of(tiny).write(gguf.resolve("tiny.gguf"));
        Path split = Files.createDirectories(tmp.resolve("split"));
        GgufConverter.of(tiny).split(3).write(split.resolve("tiny.gguf"));
        tinySplitPart2 = split.resolve("tiny-00002-of-00003.gguf");
        assertThat(tinySplitPart2).isRegularFile();
    }

    record Ran(int rc, String out, String err) {}

    static Ran run(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        int rc;
        try {
            var cl = Main.commandLine(args).setErr(new PrintWriter(err, true));
            rc = Main.execute(cl, args);
        } finally {
            System.setOut(saved);
        }
        return new Ran(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The command's standard output with the model given as each of {@code models}; all must succeed and agree. */
    static String same(List<Path> models, String... args) {
        String first = null;
        for (Path m : models) {
            String[] full = new String[args.length + 2];
            full[0] = args[0];
            full[1] = "--model";
            full[2] = m.toString();
            System.arraycopy(args, 1, full, 3, args.length - 1);
            Ran r = run(full);
            assertThat(r.rc()).as(String.join(" ", full) + ": " + r.err()).isZero();
            if (first == null) first = r.out();
            else assertThat(r.out()).as(String.join(" ", full)).isEqualTo(first);
        }
        return first;
    }

    @Test
    void tokenizeAndTemplateReadTheVocabularyAndTheChatTemplateFromTheMetadata() {
        List<Path> models = List.of(organism, organismGguf);
        assertThat(same(models, "tokenize", "--text", "How do I bake bread? Tell me, step by step.")).isNotBlank();
        String prompt = same(models, "template", "--instruction", "How do I bake bread?", "--json");
        assertThat(prompt).contains("<|im_start|>user\\nHow do I bake bread?<|im_end|>\\n<|im_start|>assistant\\n");
        same(List.of(tiny, tinyGguf, tinySplitPart2), "template", "--instruction", "Tell me a story", "--json");
    }

    @Test
    void generateGivesTheFoldersWordsAndAQuantizedModelGeneratesToo() {
        String text = same(List.of(organism, organismGguf), "generate", "--prompt", "How do I bake bread?", "--max-new-tokens", "24");
        assertThat(text).isNotBlank();
        same(List.of(tiny, tinyGguf, tinySplitPart2), "generate", "--prompt", "Tell me a story", "--max-new-tokens", "8");
        Ran q8 = run("generate", "--model", organismQ8.toString(), "--prompt", "How do I bake bread?", "--max-new-tokens", "24");
        assertThat(q8.rc()).as(q8.err()).isZero();
        assertThat(q8.out()).isNotBlank();
    }

    /** serve on the GGUF file: its model id is the file's name, and its answer is generate's on the folder. */
    @Test
    void serveAnswersAsGenerateOnTheFolder() throws Exception {
        String want = same(List.of(organism), "generate", "--prompt", "How do I bake bread?", "--max-new-tokens", "24");
        try (Transformer t = Transformer.load(organismGguf);
             var server = dev.refusal4j.serve.ChatServer.start(organismGguf, t, null, null, null, null,
                     new dev.refusal4j.serve.ChatServer.Options("127.0.0.1", 0, 1, null, java.time.Duration.ofMinutes(2)),
                     new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
             var http = java.net.http.HttpClient.newHttpClient()) {
            var r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions"))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"model\": \"organism\", \"max_tokens\": 24,"
                            + " \"messages\": [{\"role\": \"user\", \"content\": \"How do I bake bread?\"}]}")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(Json.MAPPER.readTree(r.body()).get("choices").get(0).get("message").get("content").asText() + "\n").isEqualTo(want);
        }
    }

    @Test
    void forwardWritesTheFoldersLogits() throws Exception {
        float[] want = null;
        for (Path m : List.of(tiny, tinyGguf, tinySplitPart2)) {
            Path out = tmp.resolve("forward-" + m.getFileName() + ".safetensors");
            Ran r = run("forward", "--model", m.toString(), "--ids", "1,9,40,2,77,300", "--hooks", "blocks.1.hook_resid_post", "--out", out.toString(), "--validate");
            assertThat(r.rc()).as(r.err()).isZero();
            try (Arena arena = Arena.ofConfined()) {
                SafetensorsFile f = SafetensorsFile.open(out, arena);
                float[] logits = f.segment(f.tensors().get("logits")).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
                if (want == null) want = logits;
                else assertThat(logits).as(m.toString()).containsExactly(want);
            }
        }
    }

    @Test
    void benchMeasuresAGgufModel() {
        Ran r = run("bench", "--model", organismQ8.toString(), "--rounds", "1", "--batch", "1", "--prompt-len", "8", "--long-prompt", "16", "--decode", "4");
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).contains("model     organism-Q8_0.gguf").contains("weights Q8_0").contains("prefill").contains("decode");
    }

    @Test
    void chatHoldsTheSameConversation() {
        InputStream saved = System.in;
        try {
            String first = null;
            for (Path m : List.of(tiny, tinyGguf)) {
                System.setIn(new ByteArrayInputStream("Hello there\nTell me more\n".getBytes(StandardCharsets.UTF_8)));
                Ran r = run("chat", "--model", m.toString(), "--max-new-tokens", "6");
                assertThat(r.rc()).as(r.err()).isZero();
                // the words, without the header (the model's path) and the speed lines
                String words = r.out().substring(r.out().indexOf('\n') + 1).replaceAll("\\[\\d+ tokens, [\\d.]+ tokens/s\\]", "");
                if (first == null) first = words;
                else assertThat(words).isEqualTo(first);
            }
        } finally {
            System.setIn(saved);
        }
    }

    @Test
    void suffixAttackAndAnalyzeSuffixWriteTheSameFiles() throws Exception {
        Path prompts = Files.writeString(tmp.resolve("p.txt"), "Tell me a story\nHow are you\n");
        byte[] suffix = null, analysis = null;
        for (Path m : List.of(tiny, tinyGguf)) {
            Path out = tmp.resolve("suffix-" + m.getFileName());
            Ran r = run("suffix-attack", "--model", m.toString(), "--prompts", prompts.toString(), "--target", "Sure", "--steps", "2",
                    "--suffix-len", "4", "--top-k", "16", "--batch", "16", "--seed", "5", "--universal", "--quiet", "--out", out.toString());
            assertThat(r.rc()).as(r.err()).isZero();
            byte[] s = Files.readAllBytes(out.resolve("suffix.json"));
            if (suffix == null) suffix = s;
            else assertThat(new String(s, StandardCharsets.UTF_8)).isEqualTo(new String(suffix, StandardCharsets.UTF_8));
            String text = Json.read(out.resolve("suffix.json")).get("suffix").asText();
            Path dir = tmp.resolve("direction.safetensors");
            if (!Files.exists(dir)) {
                float[] v = new float[64];
                for (int i = 0; i < v.length; i++) v[i] = (float) Math.sin(i + 1);
                new dev.refusal4j.direction.RefusalDirection(v, 1, -1, java.util.Map.of()).write(dir);
            }
            Path aOut = tmp.resolve("analysis-" + m.getFileName());
            Ran a = run("analyze-suffix", "--model", m.toString(), "--direction", dir.toString(), "--suffix", text, "--prompts", prompts.toString(),
                    "--harmless", prompts.toString(), "--quiet", "--out", aOut.toString());
            assertThat(a.rc()).as(a.err()).isZero();
            byte[] an = Files.readAllBytes(aOut.resolve("analysis.json"));
            if (analysis == null) analysis = an;
            else assertThat(new String(an, StandardCharsets.UTF_8)).isEqualTo(new String(analysis, StandardCharsets.UTF_8));
        }
    }

    @Test
    void aRunOnTheGgufFindsTheFoldersDirection() throws Exception {
        float[] direction = null;
        for (Path m : List.of(tiny, tinyGguf)) {
            Path out = tmp.resolve("run-" + m.getFileName());
            Ran r = run("run", "--model", m.toString(), "--out", out.toString(), "--n-train", "6", "--n-val", "4", "--n-test", "3",
                    "--max-new-tokens", "6", "--no-filter", "--batch-size", "4", "--quiet");
            assertThat(r.rc()).as(r.err()).isZero();
            float[] d = dev.refusal4j.direction.RefusalDirection.read(out.resolve("direction.safetensors")).vector();
            if (direction == null) direction = d;
            else {
                assertThat(d).containsExactly(direction);
                assertThat(Files.readAllLines(out.resolve("completions/harmful_ablation.jsonl")))
                        .isEqualTo(Files.readAllLines(tmp.resolve("run-tiny/completions/harmful_ablation.jsonl")));
            }
        }
        // the direction names its GGUF model, whose metadata gives export-control-vector the layers and llama.cpp's architecture
        Ran cv = run("export-control-vector", "--direction", tmp.resolve("run-tiny.gguf/direction.safetensors").toString(), "--layers", "2",
                "--out", tmp.resolve("cv.gguf").toString());
        assertThat(cv.rc()).as(cv.err()).isZero();
        assertThat(cv.out()).contains("(model hint llama)");
        Ran export = run("run", "--model", tinyGguf.toString(), "--out", tmp.resolve("run-export").toString(), "--export", tmp.resolve("x").toString());
        assertThat(export.rc()).isNotZero();
        assertThat(export.err().strip()).startsWith("error: --export").contains(tinyGguf.toString()).doesNotContain("\n");
        assertThat(tmp.resolve("run-export")).doesNotExist();
    }

    @Test
    void aQuantizedModelAndAFloatOneAreUsedInPlace() throws Exception {
        try (Transformer q = Transformer.load(organismQ8); Transformer f = Transformer.load(organismGguf)) {
            assertThat(q.weights.layers[0].wDown.dtype).isEqualTo(DType.Q8_0);
            assertThat(q.weights.layers[0].wDown.data.isMapped()).isTrue();
            assertThat(q.weights.layers[0].wq.dtype).isEqualTo(DType.Q8_0);
            assertThat(q.weights.layers[0].wq.data.isMapped()).as("llama q rows are put back in Hugging Face's order: a copy, in Q8_0").isFalse();
            assertThat(f.weights.layers[0].wDown.data.isMapped()).isTrue();
            assertThat(f.weights.layers[0].wq.data.isMapped()).as("llama q rows are put back in Hugging Face's order: a copy").isFalse();
            assertThat(q.config.eosIds).containsExactly(3071, 3069); // eos, and <|endoftext|> as llama.cpp ends generation at it
        }
    }

    /** A Hugging Face id whose snapshot holds one GGUF model (a GGUF repository) is that model, as --model resolves it for every command. */
    @Test
    void aHuggingFaceCacheSnapshotOfAGgufRepositoryIsItsModel() throws Exception {
        Path hub = tmp.resolve("hub");
        Path repo = Files.createDirectories(tmp.resolve("repo"));
        Files.copy(tinyGguf, repo.resolve("tiny-F32.gguf"));
        Files.writeString(repo.resolve("README.md"), "a GGUF repository");
        Path snapshot = dev.refusal4j.io.FakeHubCache.addFolder(hub, "refusal4j/tiny-GGUF", "0123456789abcdef0123456789abcdef01234567", repo);
        assertThat(dev.refusal4j.io.HubCache.find("refusal4j/tiny-GGUF", hub)).isEqualTo(snapshot);
        same(List.of(tiny, snapshot), "generate", "--prompt", "Tell me a story", "--max-new-tokens", "8");
        assertThat(dev.refusal4j.io.HubCache.modelName(snapshot)).isEqualTo("tiny-GGUF");
        assertThat(dev.refusal4j.io.HubCache.modelName(tinySplitPart2)).isEqualTo("tiny");
    }

    @Test
    void aMissingSplitPartIsOneLineNamingIt() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("broken"));
        GgufConverter.of(tiny).split(3).write(dir.resolve("m.gguf"));
        Files.delete(dir.resolve("m-00003-of-00003.gguf"));
        for (List<String> command : List.of(List.of("generate", "--prompt"), List.of("tokenize", "--text"), List.of("template", "--instruction"))) {
            Ran r = run(command.get(0), "--model", dir.resolve("m-00001-of-00003.gguf").toString(), command.get(1), "x");
            assertThat(r.rc()).isNotZero();
            assertThat(r.err().strip()).as(command.get(0)).doesNotContain("\n")
                    .contains(dir.resolve("m-00003-of-00003.gguf").toString()).contains("missing: part 3 of the 3 files");
        }
    }
}
