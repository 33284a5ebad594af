package dev.refusal4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refusal4j.io.FakeHubCache;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --model org/name} finds the model in the local Hugging Face cache, for every command
 * (one place: Main hands each command's --model to Defaults.resolveModel); a model not there is one
 * line saying where refusal4j looked and that it never downloads. Each case runs a JVM with its own
 * HF_HUB_CACHE / HF_HOME / HOME.
 */
class ModelOptionTest {
    private static final String COMMIT = "3f2ab5c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5";

    @TempDir
    static Path tmp;
    static Path hub;

    @BeforeAll
    static void cache() throws Exception {
        hub = tmp.resolve("hub");
        FakeHubCache.addFolder(hub, "refusal4j/organism", COMMIT, Defaults.model());
    }

    private record Ran(int exit, String out, String err) { }

    private static Ran run(Map<String, String> env, String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("HF_HUB_CACHE");
        pb.environment().remove("HF_HOME");
        pb.environment().putAll(env);
        Path out = Files.createTempFile(tmp, "out", ".txt"), err = Files.createTempFile(tmp, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String errText = Files.readString(err, StandardCharsets.UTF_8)
                .replace("WARNING: Using incubator modules: jdk.incubator.vector\n", ""); // the JVM's, at boot (the launcher drops it)
        return new Ran(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), errText);
    }

    @Test
    void aHuggingFaceIdIsFoundInTheCacheByEveryCommand() throws Exception {
        Map<String, String> env = Map.of("HF_HUB_CACHE", hub.toString());
        Ran fromFolder = run(env, "tokenize", "--model", Defaults.model().toString(), "--text", "How do I bake bread?");
        Ran fromCache = run(env, "tokenize", "--model", "refusal4j/organism", "--text", "How do I bake bread?");
        assertThat(fromCache.err()).isEmpty();
        assertThat(fromCache.exit()).isZero();
        assertThat(fromCache.out()).isEqualTo(fromFolder.out()).contains("\"ids\"");

        Path messages = Files.writeString(tmp.resolve("m.json"), "[{\"role\": \"user\", \"content\": \"Hi\"}]");
        Ran template = run(Map.of("HF_HOME", tmp.toString()), // HF_HOME/hub is the cache when HF_HUB_CACHE is unset
                "template", "--model", "refusal4j/organism@" + COMMIT, "--messages", messages.toString());
        assertThat(template.exit()).as(template.err()).isZero();
        assertThat(template.out()).contains("Hi");
    }

    @Test
    void aModelNotInTheCacheIsOneLineSayingWhereItLooked() throws Exception {
        Path home = Files.createDirectories(tmp.resolve("home"));
        // tokenize declares --model directly, bench inside an option group: both are resolved the same way
        for (String command : List.of("tokenize", "bench")) {
            List<String> args = new ArrayList<>(List.of(command, "--model", "Qwen/Qwen2.5-0.5B-Instruct"));
            if (command.equals("tokenize")) args.addAll(List.of("--text", "x"));
            Ran r = run(Map.of("HOME", home.toString()), args.toArray(String[]::new));
            assertThat(r.exit()).as(r.err()).isEqualTo(1);
            assertThat(r.err().lines()).as(r.err()).singleElement().asString()
                    .startsWith("error: --model Qwen/Qwen2.5-0.5B-Instruct is not a folder, and not in the Hugging Face cache: "
                            + home.resolve(".cache/huggingface/hub/models--Qwen--Qwen2.5-0.5B-Instruct") + " does not exist")
                    .contains("refusal4j never downloads");
        }
    }

    @Test
    void aRunOfACachedModelIsNamedAfterTheModelNotItsCommit() {
        PipelineOptions o = new PipelineOptions();
        o.model = hub.resolve("models--refusal4j--organism/snapshots/" + COMMIT);
        o.batchSize = "auto";
        o.judge = "substring";
        assertThat(o.toConfig().out).isEqualTo(Path.of("runs", "organism"));
    }
}
