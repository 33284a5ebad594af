package dev.refusal4j.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refusal4j.io.Json;
import dev.refusal4j.io.gguf.GgufWriter;
import dev.refusal4j.prompts.PromptFileException;
import dev.refusal4j.prompts.PromptLoader;
import dev.refusal4j.report.Report;
import dev.refusal4j.report.SyntheticRun;
import dev.refusal4j.tokenizer.Tokenizer;
import dev.refusal4j.tokenizer.TokenizerException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The smallest inputs behind the defects the fuzz tests found in the tokenizer, prompt and run-folder
 * readers, each checked with the same property ({@link Hostile}): a documented error naming the file,
 * or a value, within the time and memory bounds. The comment of each says what the input used to do.
 */
class HostileExamplesTest {
    @TempDir
    Path dir;

    // ---- tokenizer.json ----

    /** The bundled organism's tokenizer.json, edited, in a folder of its own. */
    private Path tokenizerJson(Consumer<ObjectNode> edit) throws IOException {
        ObjectNode root = (ObjectNode) Json.MAPPER.readTree(Path.of("models", "organism", "tokenizer.json").toFile());
        edit.accept(root);
        Path folder = Files.createDirectories(dir.resolve("tok" + System.nanoTime()));
        Files.write(folder.resolve("tokenizer.json"), Json.MAPPER.writeValueAsBytes(root));
        return folder;
    }

    private static void refused(Path folder, String file, String... words) {
        var o = Hostile.read(folder.resolve(file), () -> Tokenizer.load(folder), TokenizerException.class);
        assertThat(o.error()).as("a damaged %s must be refused", file).isNotNull();
        assertThat(o.error().getMessage()).contains(words);
    }

    private static ObjectNode model(ObjectNode root) {
        return (ObjectNode) root.get("model");
    }

    @Test
    void vocabularyIdBeyondTheIdLimit() throws IOException {
        // was NegativeArraySizeException (id 2^31-1: the id table's size overflowed), and a 4 GB table for id 10^9
        refused(tokenizerJson(r -> ((ObjectNode) model(r).get("vocab")).put("!", Integer.MAX_VALUE)), "tokenizer.json", "'!'", "16777215");
        refused(tokenizerJson(r -> ((ObjectNode) model(r).get("vocab")).put("!", 1_000_000_000)), "tokenizer.json", "'!'");
        refused(tokenizerJson(r -> ((ObjectNode) model(r).get("vocab")).put("!", 2.5)), "tokenizer.json", "'!'");
    }

    @Test
    void addedTokenWithAnIdOutsideTheLimitOrNoStringContent() throws IOException {
        // was a vocabulary size of -2^31 and ids outside the vocabulary
        refused(tokenizerJson(r -> ((ObjectNode) r.get("added_tokens").get(0)).put("id", Integer.MAX_VALUE)), "tokenizer.json", "added token");
        refused(tokenizerJson(r -> ((ObjectNode) r.get("added_tokens").get(0)).put("id", -3)), "tokenizer.json", "added token");
        refused(tokenizerJson(r -> ((ObjectNode) r.get("added_tokens").get(0)).putArray("content")), "tokenizer.json", "content");
    }

    @Test
    void postProcessorWithoutItsTokenPairOrWithAnIdOutsideTheVocabulary() throws IOException {
        // was NullPointerException (Roberta/BertProcessing without "cls")
        refused(tokenizerJson(r -> r.putObject("post_processor").put("type", "RobertaProcessing")), "tokenizer.json", "post_processor.cls");
        // was accepted: encode(text, true) gave an id the vocabulary does not have
        refused(tokenizerJson(r -> {
            ObjectNode pp = r.putObject("post_processor").put("type", "TemplateProcessing");
            pp.putArray("single").addObject().putObject("SpecialToken").put("id", "<s>");
            pp.putObject("special_tokens").putObject("<s>").putArray("ids").add(5_000_000);
        }), "tokenizer.json", "5000000");
    }

    @Test
    void decoderWithAnEmptyCharacterSetting() throws IOException {
        // was StringIndexOutOfBoundsException when loading
        refused(tokenizerJson(r -> r.putObject("decoder").put("type", "Strip").put("content", "").put("start", 1).put("stop", 0)),
                "tokenizer.json", "'content' is empty");
        refused(tokenizerJson(r -> r.putObject("decoder").put("type", "Strip").put("content", " ").put("start", -1).put("stop", 0)),
                "tokenizer.json", "'start'");
        refused(tokenizerJson(r -> r.putObject("decoder").put("type", "Metaspace").put("replacement", "")), "tokenizer.json", "'replacement' is empty");
    }

    @Test
    void brokenJsonIsOneLineWithItsPlace() throws IOException {
        // was Jackson's multi-line message, which the command line printed as several lines
        Path folder = Files.createDirectories(dir.resolve("broken"));
        Files.writeString(folder.resolve("tokenizer.json"), "{\"model\": {\"type\": \"BPE\",\n \"vocab\": {} } } trailing");
        refused(folder, "tokenizer.json", "line 2", "not valid JSON");
    }

    @Test
    void vocabAndMergesThatDisagreeNameBothFiles() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("vm"));
        Files.writeString(folder.resolve("vocab.json"), "{\"a\": 0, \"b\": 1}");
        Files.writeString(folder.resolve("merges.txt"), "#version: 0.2\na b\n");
        refused(folder, "merges.txt", "merges.txt", "vocab.json", "'ab'");
    }

    // ---- tokenizer.model (SentencePiece protobuf) ----

    /** A ModelProto with byte pieces for 'a'..'c' and a trainer spec whose unk_id is {@code unk}. */
    private static byte[] sentencePiece(int unk, boolean hugeLength) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String piece : List.of("<unk>", "a", "b", "c")) {
            byte[] text = piece.getBytes(StandardCharsets.UTF_8);
            ByteArrayOutputStream p = new ByteArrayOutputStream();
            p.write(0x0A); // field 1, bytes: the piece
            if (hugeLength && piece.equals("b")) {
                varint(p, Long.MAX_VALUE); // a length that overflows "pos + len"
            } else {
                varint(p, text.length);
            }
            p.writeBytes(text);
            p.write(0x15); // field 2, fixed32: the score
            p.writeBytes(new byte[]{0, 0, 0, 0});
            out.write(0x0A); // ModelProto field 1: a piece
            varint(out, p.size());
            out.writeBytes(p.toByteArray());
        }
        ByteArrayOutputStream t = new ByteArrayOutputStream();
        t.write(3 << 3); // model_type = BPE
        varint(t, 2);
        varint(t, 40 << 3); // unk_id
        varint(t, unk);
        out.write(0x12); // ModelProto field 2: trainer_spec
        varint(out, t.size());
        out.writeBytes(t.toByteArray());
        return out.toByteArray();
    }

    private static void varint(ByteArrayOutputStream out, long v) {
        do {
            int low = (int) (v & 0x7F);
            v >>>= 7;
            out.write(v != 0 ? low | 0x80 : low);
        } while (v != 0);
    }

    @Test
    void sentencePieceWithAnOverflowingLengthOrAnUnkOutsideThePieces() throws IOException {
        Path ok = Files.createDirectories(dir.resolve("spm-ok"));
        Files.write(ok.resolve("tokenizer.model"), sentencePiece(0, false));
        assertThat(Tokenizer.load(ok).encode("abc", false)).isNotEmpty();
        // was StringIndexOutOfBoundsException
        Path huge = Files.createDirectories(dir.resolve("spm-huge"));
        Files.write(huge.resolve("tokenizer.model"), sentencePiece(0, true));
        refused(huge, "tokenizer.model", "truncated");
        // was accepted: unknown text became id 99, which the vocabulary does not have
        Path unk = Files.createDirectories(dir.resolve("spm-unk"));
        Files.write(unk.resolve("tokenizer.model"), sentencePiece(99, false));
        refused(unk, "tokenizer.model", "unk_id 99");
    }

    // ---- GGUF vocabulary ----

    @Test
    void ggufWithAnUnknownTokenOutsideTheVocabulary() throws IOException {
        for (String model : List.of("bert", "llama")) {
            Path folder = Files.createDirectories(dir.resolve("gguf-" + model));
            new GgufWriter().putString("general.architecture", model).putString("tokenizer.ggml.model", model)
                    .putStringArray("tokenizer.ggml.tokens", List.of("[UNK]", "[CLS]", "[SEP]", "\u2581a", "b"))
                    .putUInt32("tokenizer.ggml.unknown_token_id", 999)
                    .write(folder.resolve("vocab.gguf"));
            // bert: was ArrayIndexOutOfBoundsException; llama: unknown text became id 999
            var o = Hostile.read(folder.resolve("vocab.gguf"), () -> Tokenizer.load(folder.resolve("vocab.gguf")), TokenizerException.class);
            assertThat(o.error()).as(model).isNotNull();
            assertThat(o.error().getMessage()).contains("unknown_token_id = 999");
        }
    }

    // ---- prompt files ----

    @Test
    void promptFileThatIsNotUtf8NamesTheLineAndByte() throws IOException {
        for (String name : List.of("p.txt", "p.json", "p.jsonl", "p.csv")) {
            Path f = dir.resolve(name);
            byte[] latin1 = "goal\nfirst prompt\ncaf\u00e9 au lait\n".getBytes(StandardCharsets.ISO_8859_1);
            Files.write(f, latin1);
            // was UncheckedIOException "Input length = 1", which named neither the line nor the problem
            var o = Hostile.read(f, () -> PromptLoader.load(f), PromptFileException.class);
            assertThat(o.error().getMessage()).as(name).contains("line 3", "not UTF-8", "0xE9").startsWith("prompt file " + f + ": is not");
        }
    }

    @Test
    void promptFileErrorQuotingAKeyWithALineBreakIsOneLine() throws IOException {
        Path f = dir.resolve("keys.json");
        Files.writeString(f, "[{\"instr\\nuction\": \"x\"}]");
        var o = Hostile.read(f, () -> PromptLoader.load(f), PromptFileException.class);
        assertThat(o.error().getMessage()).contains("instr\\nuction").doesNotContain("\n");
    }

    // ---- run folders (report) ----

    private Path run() throws IOException {
        Path run = Files.createDirectories(dir.resolve("run"));
        SyntheticRun.write(run, 1);
        return run;
    }

    private static List<String> report(Path run) {
        var o = Hostile.read(List.of(run.toString()), () -> Report.write(run, 8, RunFolderFuzzTest.CLOCK, s -> false));
        assertThat(o.value().html()).exists();
        return o.value().problems();
    }

    private static void editJson(Path file, Consumer<ObjectNode> edit) throws IOException {
        ObjectNode root = (ObjectNode) Json.MAPPER.readTree(file.toFile());
        edit.accept(root);
        Files.write(file, Json.MAPPER.writeValueAsBytes(root));
    }

    @Test
    void candidatesWithAHugeLayerCountOrLayer() throws IOException {
        Path run = run();
        // was a hang: a heatmap of 10^9 layers
        editJson(run.resolve("candidates.json"), c -> c.put("num_layers", 1_000_000_000));
        assertThat(report(run)).anyMatch(p -> p.contains("num_layers 1000000000"));
        // was a hang too (and an int overflow of layer + 1)
        editJson(run.resolve("candidates.json"), c -> ((ObjectNode) c.get("candidates").get(0)).put("layer", Integer.MAX_VALUE));
        assertThat(report(run)).anyMatch(p -> p.contains("candidate 1 has layer 2147483647"));
    }

    @Test
    void thousandsOfPositionsLeaveTheHeatmapsOutInsteadOfHanging() throws IOException {
        Path run = run();
        editJson(run.resolve("candidates.json"), c -> {
            var list = c.putArray("candidates");
            for (int p = 0; p < 100_000; p++) list.addObject().put("position", -p - 1).put("layer", 0).put("bypass_score", 1.0);
        });
        // was a hang: every cell looked its candidate up in the whole list
        assertThat(report(run)).anyMatch(p -> p.contains("heatmaps left out"));
    }

    @Test
    void pruneFractionOutsideZeroToOneIsIgnoredWithAProblem() throws IOException {
        Path run = run();
        editJson(run.resolve("candidates.json"), c -> ((ObjectNode) c.get("thresholds")).put("prune_layer_fraction", -1));
        // was IllegalArgumentException "prune-layer fraction must be within [0, 1]", naming no file, and no report
        assertThat(report(run)).anyMatch(p -> p.contains("prune_layer_fraction -1.0"));
    }

    @Test
    void longNamesAndThousandsOfCategoriesKeepThePlotsSmall() throws IOException {
        Path run = run();
        // was OutOfMemoryError: the title set the width of a PNG
        editJson(run.resolve("candidates.json"), c -> c.put("model", "M".repeat(200_000)));
        editJson(run.resolve("metrics.json"), m -> {
            ObjectNode cats = ((ObjectNode) m.get("refusal_rate_by_category")).putObject("harmful_baseline");
            for (int i = 0; i < 50_000; i++) cats.put("category " + i, 0.5);
        });
        report(run);
        List<Path> pngs = new ArrayList<>();
        try (var s = Files.list(run.resolve("plots"))) {
            s.filter(p -> p.toString().endsWith(".png")).forEach(pngs::add);
        }
        for (Path p : pngs) {
            var img = javax.imageio.ImageIO.read(p.toFile());
            assertThat((long) img.getWidth() * img.getHeight()).as(p.toString()).isLessThanOrEqualTo(8_000_000L);
        }
    }
}
