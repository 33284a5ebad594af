package dev.refusal4j.run;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.cli.Main;
import dev.refusal4j.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A run under a memory limit smaller than the model (layer sweeps, residual streams partly in a file) against an unlimited run. */
class MemoryLimitRunTest {
    @TempDir
    Path tmp;

    @Test
    void aModelLargerThanTheLimitGivesTheSameRun() throws IOException {
        Path organism = Path.of("models", "organism").toAbsolutePath();
        assertThat(MemoryLimit.modelBytes(organism)).as("the organism is larger than the limit below").isGreaterThan(8L << 20);
        Path whole = tmp.resolve("whole"), swept = tmp.resolve("swept");
        List<String> common = List.of("run", "--model", organism.toString(), "--n-train", "16", "--n-val", "8", "--n-test", "4",
                "--max-new-tokens", "8", "--batch-size", "4", "--no-filter", "--score-all", "--quiet");
        assertThat(Main.run(args(common, "--out", whole.toString()))).isZero();
        java.io.PrintStream stderr = System.err;
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(buf, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            assertThat(Main.run(args(common, "--out", swept.toString(), "--memory-limit", "8M"))).isZero();
        } finally {
            System.setErr(stderr);
        }
        assertThat(buf.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("exceed the memory limit of 8.0 MiB").contains("sweep it one layer at a time");
        for (String f : List.of("mean_diffs.safetensors", "direction.safetensors", "completions/harmful_ablation.jsonl", "completions/harmless_actadd.jsonl")) {
            assertThat(Files.readAllBytes(swept.resolve(f))).as(f).isEqualTo(Files.readAllBytes(whole.resolve(f)));
        }
        JsonNode a = Json.read(whole.resolve("candidates.json")), b = Json.read(swept.resolve("candidates.json"));
        assertThat(b.get("candidates")).isEqualTo(a.get("candidates"));
        assertThat(b.get("selected")).isEqualTo(a.get("selected"));
        assertThat(swept.resolve(".sweep")).as("the residual streams' file and its folder are gone").doesNotExist();
    }

    @Test
    void sizesParseInBinaryUnitsAndBadOnesAreNamed() {
        assertThat(MemoryLimit.parse("8G")).isEqualTo(8L << 30);
        assertThat(MemoryLimit.parse("512m")).isEqualTo(512L << 20);
        assertThat(MemoryLimit.parse("1.5GB")).isEqualTo(3L << 29);
        assertThat(MemoryLimit.parse("4096")).isEqualTo(4096);
        assertThatThrownBy(() -> MemoryLimit.parse("lots")).hasMessage("--memory-limit must be a size such as 8G, 512M or 1073741824, got 'lots'");
        assertThatThrownBy(() -> MemoryLimit.parse("-1G")).hasMessageContaining("got '-1G'");
    }

    @Test
    void theCgroupLimitIsTheSmallestOnTheProcesssPathNotTheMountsRoot() throws IOException {
        Path root = tmp.resolve("cgroup");
        Path v1 = Files.createDirectories(root.resolve("memory/jobs/job7"));
        Files.writeString(root.resolve("memory/memory.limit_in_bytes"), "9223372036854771712\n");   // v1's "no limit"
        Files.writeString(v1.getParent().resolve("memory.limit_in_bytes"), "3221225472\n");
        Files.writeString(v1.resolve("memory.limit_in_bytes"), "1073741824\n");
        assertThat(MemoryLimit.cgroup(List.of("5:cpu,cpuacct:/", "4:memory:/jobs/job7", "0::/"), root)).isEqualTo(1L << 30);
        Files.writeString(v1.resolve("memory.limit_in_bytes"), "9223372036854771712\n");
        assertThat(MemoryLimit.cgroup(List.of("4:memory:/jobs/job7"), root)).as("a parent's limit binds the child").isEqualTo(3L << 30);

        Path v2 = Files.createDirectories(root.resolve("user.slice/run.scope"));
        Files.writeString(root.resolve("user.slice/memory.max"), "max\n");
        Files.writeString(v2.resolve("memory.max"), "536870912\n");
        assertThat(MemoryLimit.cgroup(List.of("0::/user.slice/run.scope"), root)).isEqualTo(512L << 20);
        assertThat(MemoryLimit.cgroup(List.of("0::/user.slice"), root)).as("no limit on the path").isZero();
        assertThat(MemoryLimit.cgroup(List.of("0::/not/there"), root)).isZero();
    }

    private static String[] args(List<String> common, String... more) {
        List<String> a = new java.util.ArrayList<>(common);
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }
}
