package dev.refusal4j.run;

import dev.refusal4j.io.Json;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.cli.Main;
import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.testutil.TinyChatModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole pipeline end to end on a tiny random chat model: every artifact appears with the
 * documented names and fields, --resume reuses them, stages run alone, bad input fails clearly.
 * (Behavior — that ablation removes refusal — is tested on the organism.)
 */
class PipelinePlumbingTest {
    @TempDir
    Path tmp;

    @Test
    void runWritesEveryArtifactAndResumes() throws IOException {
        Path model = TinyChatModel.create(tmp.resolve("tiny"));
        Path out = tmp.resolve("run");
        String[] args = {"run", "--model", model.toString(), "--out", out.toString(), "--n-train", "6", "--n-val", "4", "--n-test", "3",
                "--max-new-tokens", "6", "--no-filter", "--batch-size", "4", "--quiet"};
        assertThat(Main.run(args)).isZero();
        for (String f : new String[] {"mean_diffs.safetensors", "candidates.json", "direction.safetensors", "direction.json", "metrics.json",
                "prompts/harmful_train.json", "completions/harmful_baseline.jsonl", "completions/harmful_ablation.jsonl",
                "completions/harmful_actadd.jsonl", "completions/harmless_baseline.jsonl", "completions/harmless_actadd.jsonl"}) {
            assertThat(out.resolve(f)).as(f).isRegularFile();
        }
        JsonNode cands = Json.read(out.resolve("candidates.json"));
        int L = 3, P = cands.get("positions").size();
        assertThat(P).isEqualTo(13); // <|im_end|>, \n, <|im_start|>, then the 9 bytes of "assistant" and \n
        assertThat(cands.get("candidates")).hasSize(P * L);
        RefusalDirection dir = RefusalDirection.read(out.resolve("direction.safetensors"));
        assertThat(dir.vector()).hasSize(64);
        assertThat(cands.get("selected").get("layer").asInt()).isEqualTo(dir.layer());
        JsonNode first = Json.MAPPER.readTree(Files.readAllLines(out.resolve("completions/harmful_ablation.jsonl")).getFirst());
        assertThat(first.has("instruction") && first.has("category") && first.has("response")).isTrue();
        assertThat(Files.readAllLines(out.resolve("completions/harmless_actadd.jsonl"))).hasSize(3);
        JsonNode metrics = Json.read(out.resolve("metrics.json"));
        assertThat(metrics.get("refusal_rate").size()).isEqualTo(5);
        assertThat(metrics.get("loss").get("baseline").asDouble()).isPositive();
        assertThat(metrics.has("answer_quality")).as("measured against the organism's words: not for another model").isFalse();
        for (String stage : new String[] {"directions", "select", "completions", "evaluate"}) {
            assertThat(metrics.get("timings_seconds").has(stage)).as("timing of " + stage).isTrue();
            assertThat(metrics.get("flops").get(stage).asDouble()).as("FLOPs of " + stage).isPositive();
        }

        // a second run without --resume refuses to mix into the folder; with --resume it reuses everything
        assertThat(Main.run(args)).isNotZero();
        long before = Files.getLastModifiedTime(out.resolve("mean_diffs.safetensors")).toMillis();
        String[] resume = java.util.Arrays.copyOf(args, args.length + 1);
        resume[args.length] = "--resume";
        assertThat(Main.run(resume)).isZero();
        assertThat(Files.getLastModifiedTime(out.resolve("mean_diffs.safetensors")).toMillis()).isEqualTo(before);
    }

    @Test
    void stagesRunAloneAndMissingPrerequisitesAreNamed() throws IOException {
        Path model = TinyChatModel.create(tmp.resolve("tiny"));
        Path out = tmp.resolve("run");
        String[] common = {"--model", model.toString(), "--out", out.toString(), "--n-train", "4", "--n-val", "3", "--n-test", "2",
                "--max-new-tokens", "4", "--no-filter", "--quiet"};
        assertThat(Main.run(concat(new String[] {"select"}, common))).isNotZero(); // no directions yet
        assertThat(Main.run(concat(new String[] {"directions"}, common))).isZero();
        assertThat(out.resolve("mean_diffs.safetensors")).isRegularFile();
        assertThat(Main.run(concat(new String[] {"select"}, common))).isZero();
        assertThat(out.resolve("direction.safetensors")).isRegularFile();
        assertThat(Main.run(concat(new String[] {"evaluate"}, common))).isZero();
        assertThat(out.resolve("metrics.json")).isRegularFile();
    }

    @Test
    void badPromptFilesAndEmptyCandidateSetsFailClearly() throws IOException {
        Path model = TinyChatModel.create(tmp.resolve("tiny"));
        Path empty = Files.writeString(tmp.resolve("empty.json"), "[]");
        String err = runCapturingErr("run", "--model", model.toString(), "--out", tmp.resolve("run").toString(), "--harmful-train", empty.toString(), "--quiet");
        assertThat(err).contains("empty.json").contains("no prompts");
        // KL is never negative: a threshold of -1 removes every candidate, and the error says so
        Path out = tmp.resolve("run2");
        err = runCapturingErr("run", "--model", model.toString(), "--out", out.toString(), "--n-train", "4", "--n-val", "3", "--n-test", "2",
                "--no-prompt-filter", "--kl-threshold", "-1", "--quiet");
        assertThat(err).contains("all 39 candidate directions were filtered out").contains("had KL > -1.0").contains("--kl-threshold");
        assertThat(out.resolve("candidates.json")).isRegularFile(); // the scores of the finished stage are kept
        assertThat(out.resolve("direction.safetensors")).doesNotExist();
        assertThat(out.resolve("report.html")).isRegularFile(); // a partial report shows the scores
    }

    /** Runs the CLI expecting failure; returns what it printed on stderr. */
    /** The core alone has no Spark: --spark says, in one line, how to build the module, before any stage runs. */
    @Test
    void sparkWithoutTheModuleSaysHowToBuildIt() throws IOException {
        Path model = TinyChatModel.create(tmp.resolve("tiny"));
        Path out = tmp.resolve("run");
        String err = runCapturingErr("run", "--model", model.toString(), "--out", out.toString(), "--n-train", "4", "--quiet", "--spark", "local[2]");
        assertThat(err.strip()).doesNotContain("\n").contains("--spark needs the Spark module (refusal4j-spark)").contains("-f reactor.xml");
        assertThat(out.resolve("mean_diffs.safetensors")).doesNotExist();
    }

    static String runCapturingErr(String... args) {
        java.io.StringWriter err = new java.io.StringWriter();
        int rc = Main.commandLine(args).setErr(new java.io.PrintWriter(err, true))
                .setExecutionExceptionHandler((ex, cmd, pr) -> { cmd.getErr().println("error: " + ex.getMessage()); return 1; })
                .execute(args);
        assertThat(rc).isNotZero();
        return err.toString();
    }

    static String[] concat(String[] a, String[] b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
