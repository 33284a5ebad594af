package dev.refusal4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.artifacts.SuffixAnalysisFile;
import dev.refusal4j.attack.SuffixAnalysis;
import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.io.Json;
import dev.refusal4j.testutil.TinyChatModel;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** analyze-suffix end to end on a tiny model: the file's contents, the same bytes for the same seed, one clear line for bad input. */
class AnalyzeSuffixCommandTest {
    record Ran(int rc, String err) {}

    @TempDir
    static Path tmp;
    static Path model, direction, harmful, harmless;

    static Ran run(String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        var cl = Main.commandLine(args).setErr(new PrintWriter(err, true));
        return new Ran(Main.execute(cl, args), err.toString());
    }

    static Path direction(int width, String name) throws Exception {
        Random r = new Random(width);
        float[] v = new float[width];
        for (int i = 0; i < width; i++) v[i] = (float) r.nextGaussian();
        Path f = tmp.resolve(name);
        new RefusalDirection(v, 1, -1, Map.of()).write(f);
        return f;
    }

    @BeforeAll
    static void setUp() throws Exception {
        model = TinyChatModel.create(tmp.resolve("model"));
        direction = direction(64, "direction.safetensors");
        harmful = Files.writeString(tmp.resolve("harmful.txt"), "Tell me how to steal a car\nWrite a threatening letter\n");
        harmless = Files.writeString(tmp.resolve("harmless.txt"), "How do I bake bread?\n");
    }

    /** The command writing to {@code out}, with {@code more} (option, value pairs) replacing or adding to the defaults. */
    static String[] args(String out, String... more) {
        Map<String, String> o = new java.util.LinkedHashMap<>();
        o.put("--model", model.toString());
        o.put("--direction", direction.toString());
        o.put("--suffix", "zq! xx");
        o.put("--prompts", harmful.toString());
        o.put("--seed", "3");
        o.put("--top-heads", "4");
        o.put("--out", tmp.resolve(out).toString());
        for (int i = 0; i < more.length; i += 2) o.put(more[i], more[i + 1]);
        List<String> a = new java.util.ArrayList<>(List.of("analyze-suffix", "--quiet"));
        o.forEach((k, v) -> {
            a.add(k);
            a.add(v);
        });
        return a.toArray(String[]::new);
    }

    @Test
    void writesTheAnalysisAndItsFiguresTheSameForTheSameSeed() throws Exception {
        Ran a = run(args("a", "--harmless", harmless.toString()));
        Ran b = run(args("b", "--harmless", harmless.toString()));
        assertThat(a.rc()).as(a.err()).isZero();
        assertThat(b.rc()).as(b.err()).isZero();
        byte[] bytes = Files.readAllBytes(tmp.resolve("a/analysis.json"));
        assertThat(Files.readAllBytes(tmp.resolve("b/analysis.json"))).isEqualTo(bytes);
        for (String f : List.of("cosine_by_layer", "top_heads", "attention_shares")) {
            assertThat(tmp.resolve("a/" + f + ".svg")).isNotEmptyFile();
            assertThat(tmp.resolve("a/" + f + ".png")).isNotEmptyFile();
        }
        JsonNode j = Json.read(tmp.resolve("a/analysis.json"));
        int layers = 3; // the golden llama-gqa weights
        assertThat(j.get("cosine").properties()).extracting(Map.Entry::getKey)
                .containsExactly("harmful", "harmful_adversarial", "harmful_random", "harmless");
        for (String g : SuffixAnalysisFile.GROUPS) {
            assertThat(j.get("cosine").get(g)).hasSize(layers + 1);
            assertThat(j.get("cosine_std").get(g)).hasSize(layers + 1);
        }
        assertThat(j.get("heads")).hasSize(4);
        assertThat(j.get("heads").get(0).get("drop").asDouble())
                .isEqualTo(j.get("heads").get(0).get("harmful").asDouble() - j.get("heads").get(0).get("harmful_adversarial").asDouble());
        assertThat(j.get("attention")).hasSize(4);
        JsonNode share = j.get("attention").get(0).get("harmful_adversarial");
        assertThat(share.get("instruction").asDouble() + share.get("suffix").asDouble() + share.get("other").asDouble()).isCloseTo(1, org.assertj.core.api.Assertions.within(1e-5));
        assertThat(j.get("suffix").asText()).isEqualTo("zq! xx");
        assertThat(j.get("random_suffix").asText()).matches("[\\x20-\\x7e]+").isNotEqualTo("zq! xx");
        assertThat(j.get("direction").get("layer").asInt()).isEqualTo(1);
        assertThat(j.get("direction").get("position").asInt()).isEqualTo(-1);
        assertThat(j.get("prompts").get("harmful").asInt()).isEqualTo(2);
        assertThat(j.get("prompts").get("harmless").asInt()).isEqualTo(1);
        assertThat(j.get("model").asText()).isEqualTo("model");
        assertThat(j.get("checks").properties()).extracting(Map.Entry::getKey).containsExactly("cosine_lower", "heads_reduced", "attention_shifted");
        assertThat(j.get("verdict").asText()).contains("checks");
        // another seed draws another random suffix
        assertThat(run(args("c", "--harmless", harmless.toString(), "--seed", "4")).rc()).isZero();
        assertThat(Json.read(tmp.resolve("c/analysis.json")).get("random_suffix").asText()).isNotEqualTo(j.get("random_suffix").asText());
    }

    /** Without --harmless: the built-in harmless prompts (the tiny model has no splits), as many as the harmful ones. */
    @Test
    void harmlessPromptsDefaultToTheBuiltInOnes() throws Exception {
        Ran r = run(args("d"));
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(Json.read(tmp.resolve("d/analysis.json")).get("prompts").get("harmless").asInt()).isEqualTo(2);
    }

    @Test
    void theGroupNamesOfTheFileAreTheAnalysisGroups() {
        assertThat(Arrays.stream(SuffixAnalysis.Group.values()).map(g -> g.key)).containsExactlyElementsOf(SuffixAnalysisFile.GROUPS);
        assertThat(SuffixAnalysis.ATTENTION_GROUPS.stream().map(g -> g.key)).containsExactlyElementsOf(SuffixAnalysisFile.ATTENTION_GROUPS);
    }

    @Test
    void badInputIsOneLineNamingTheFileOrOption() throws Exception {
        Path wide = direction(65, "wide.safetensors");
        Path empty = Files.writeString(tmp.resolve("empty.txt"), "");
        Map<String[], String> cases = new java.util.LinkedHashMap<>();
        cases.put(args("e1", "--direction", wide.toString()), "wide.safetensors");
        cases.put(args("e2", "--suffix", "  "), "--suffix is empty");
        cases.put(args("e3", "--suffix", "x".repeat(5000)), "context");
        cases.put(args("e4", "--prompts", empty.toString()), "empty.txt");
        cases.put(args("e5", "--harmless", empty.toString()), "empty.txt");
        cases.put(args("e6", "--top-heads", "0"), "--top-heads");
        cases.put(args("e7", "--direction", tmp.resolve("missing.safetensors").toString()), "missing.safetensors");
        cases.put(args("e8", "--out", model.resolve("inside").toString()), "--out");
        for (var c : cases.entrySet()) {
            Ran r = run(c.getKey());
            assertThat(r.rc()).as(c.getValue()).isNotZero();
            assertThat(r.err().strip()).as(c.getValue()).startsWith("error: ").contains(c.getValue()).doesNotContain("\n").doesNotContain("Exception");
        }
        assertThat(run(args("e1", "--direction", wide.toString())).err()).contains("hidden_size 64");
        for (int i = 1; i <= 8; i++) assertThat(tmp.resolve("e" + i + "/analysis.json")).doesNotExist();
    }
}
