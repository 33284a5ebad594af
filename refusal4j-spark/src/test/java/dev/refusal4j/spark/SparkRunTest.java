package dev.refusal4j.spark;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.cli.Main;
import dev.refusal4j.io.Json;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code run --spark local[2]} on the bundled organism against the same run in one process: the same
 * candidate directions and direction (bytes), the same scores and selection, the same greedy
 * completions; and what a failing task or an executor without the model does to the run.
 */
class SparkRunTest {
    static final Path ORGANISM = Path.of(System.getProperty("refusal4j.home", ".."), "models", "organism").toAbsolutePath().normalize();

    @TempDir
    static Path tmp;
    static Path local;

    /** Small sets cut into several batches of 4, so that both tasks of every stage get work. */
    static String[] args(Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("run", "--model", ORGANISM.toString(), "--out", out.toString(), "--n-train", "48", "--n-val", "16",
                "--n-test", "8", "--max-new-tokens", "24", "--batch-size", "4", "--score-all", "--quiet"));
        a.addAll(Arrays.asList(more));
        return a.toArray(String[]::new);
    }

    @BeforeAll
    static void runInOneProcess() {
        local = tmp.resolve("local");
        assertThat(Main.run(args(local))).isZero();
    }

    @Test
    void sparkRunEqualsTheOneProcessRun() throws IOException {
        Path spark = tmp.resolve("spark");
        assertThat(Main.run(args(spark, "--spark", "local[2]"))).isZero();
        assertSameResults(spark);
    }

    /** A task that fails once is run again (local[2,2]: two attempts per task) and the run is the same. */
    @Test
    void aRetriedTaskGivesTheSameRun() throws IOException {
        Path spark = tmp.resolve("retried");
        System.setProperty(SparkEngine.FAIL_ATTEMPTS, "select:1");
        try {
            assertThat(Main.run(args(spark, "--spark", "local[2,2]"))).isZero();
        } finally {
            System.clearProperty(SparkEngine.FAIL_ATTEMPTS);
        }
        assertSameResults(spark);
    }

    /** A task that fails every attempt fails the run with one line, and the run folder holds no direction nor metrics. */
    @Test
    void aTaskThatKeepsFailingFailsTheRunClearly() {
        Path spark = tmp.resolve("failed");
        System.setProperty(SparkEngine.FAIL_ATTEMPTS, "select:2");
        String err;
        try {
            err = failing(args(spark, "--spark", "local[2,2]"));
        } finally {
            System.clearProperty(SparkEngine.FAIL_ATTEMPTS);
        }
        assertThat(err).contains("spark: the select stage failed: ").contains("fault injected").contains("attempt 1");
        assertThat(err.strip().lines().filter(l -> l.startsWith("error")).count()).isEqualTo(1);
        assertThat(spark.resolve("mean_diffs.safetensors")).as("the stage before finished").isRegularFile();
        assertThat(spark.resolve("direction.safetensors")).doesNotExist();
        assertThat(spark.resolve("candidates.json")).doesNotExist();
        assertThat(spark.resolve("metrics.json")).doesNotExist();
    }

    @Test
    void anExecutorThatCannotSeeTheModelIsNamedWithThePath() {
        Path missing = tmp.resolve("not-on-the-executors");
        String err = failing(args(tmp.resolve("invisible"), "--spark", "local[2]", "--spark-model", missing.toString()));
        assertThat(err).contains("spark: the directions stage failed: ").contains("executor driver on ").contains("cannot see the model at " + missing);
    }

    private static String failing(String... args) {
        StringWriter err = new StringWriter();
        int rc = Main.commandLine(args).setErr(new PrintWriter(err, true)).execute(args);
        System.out.println(err);
        assertThat(rc).isNotZero();
        return err.toString();
    }

    private static void assertSameResults(Path spark) throws IOException {
        for (String f : List.of("mean_diffs.safetensors", "direction.safetensors", "prompts/harmful_train.json")) {
            assertThat(Files.readAllBytes(spark.resolve(f))).as(f).isEqualTo(Files.readAllBytes(local.resolve(f)));
        }
        JsonNode a = Json.read(local.resolve("candidates.json")), b = Json.read(spark.resolve("candidates.json"));
        assertThat(b.get("selected")).isEqualTo(a.get("selected"));
        JsonNode ca = a.get("candidates"), cb = b.get("candidates");
        assertThat(cb.size()).isEqualTo(ca.size()).isGreaterThan(1);
        int scored = 0;
        for (int i = 0; i < ca.size(); i++) {
            for (String k : List.of("bypass_score", "induce_score", "kl_score")) {
                JsonNode x = ca.get(i).get(k), y = cb.get(i).get(k);
                if (x.isNumber()) {
                    assertThat(y.asDouble()).as(k + " of candidate " + i).isCloseTo(x.asDouble(), org.assertj.core.data.Offset.offset(1e-6));
                    scored++;
                } else {
                    assertThat(y).as(k + " of candidate " + i).isEqualTo(x);
                }
            }
        }
        assertThat(scored).isGreaterThan(ca.size());
        try (var files = Files.list(local.resolve("completions"))) {
            for (Path f : files.toList()) {
                assertThat(Files.readString(spark.resolve("completions").resolve(f.getFileName()))).as(f.getFileName().toString())
                        .isEqualTo(Files.readString(f));
            }
        }
    }
}
