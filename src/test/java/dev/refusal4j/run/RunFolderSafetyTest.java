package dev.refusal4j.run;

import static dev.refusal4j.run.PipelinePlumbingTest.runCapturingErr;
import static org.assertj.core.api.Assertions.assertThat;

import dev.refusal4j.cli.Main;
import dev.refusal4j.testutil.TinyChatModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** A run folder never mixes two runs, never accepts a damaged file, and bad settings fail before any work. */
class RunFolderSafetyTest {
    @TempDir
    Path tmp;

    String[] args(Path model, Path out, String... more) {
        List<String> a = new java.util.ArrayList<>(List.of("run", "--model", model.toString(), "--out", out.toString(), "--n-train", "4",
                "--n-val", "3", "--n-test", "2", "--max-new-tokens", "4", "--no-filter", "--batch-size", "4", "--quiet"));
        for (int i = 0; i < more.length; i++) {   // an option given again replaces its default value
            int at = a.indexOf(more[i]);
            boolean valued = i + 1 < more.length && !more[i + 1].startsWith("--");
            if (at >= 0 && valued) a.set(at + 1, more[++i]);
            else a.add(more[i]);
        }
        return a.toArray(String[]::new);
    }

    static String[] without(String[] args, String flag) {
        return java.util.Arrays.stream(args).filter(a -> !a.equals(flag)).toArray(String[]::new);
    }

    @Test
    void aForcedRunThatFailsLeavesNothingOfThePreviousRun() throws IOException {
        Path model = TinyChatModel.create(tmp.resolve("tiny"));
        Path out = tmp.resolve("run");
        assertThat(Main.run(args(model, out))).isZero();
        assertThat(out.resolve("metrics.json")).isRegularFile();
        // every candidate filtered: the new run fails during selection
        runCapturingErr(without(args(model, out, "--force", "--no-prompt-filter", "--kl-threshold", "-1"), "--no-filter"));
        assertThat(out.resolve("candidates.json")).isRegularFile();
        for (String old : new String[] {"direction.safetensors", "direction.json", "metrics.json", "completions"}) {
            assertThat(out.resolve(old)).as(old).doesNotExist();
        }
        // and a following --resume cannot pick up the old direction: it fails the same way
        runCapturingErr(without(args(model, out, "--resume", "--no-prompt-filter", "--kl-threshold", "-1"), "--no-filter"));
        assertThat(out.resolve("direction.safetensors")).doesNotExist();
    }

    @Test
    void resumeWithOtherOptionsIsRefusedAndNamesThem() throws IOException {
        Path model = TinyChatModel.create(tmp.resolve("tiny"));
        Path out = tmp.resolve("run");
        assertThat(Main.run(args(model, out))).isZero();
        String[] changed = args(model, out, "--resume");
        changed[java.util.Arrays.asList(changed).indexOf("--max-new-tokens") + 1] = "3";
        assertThat(runCapturingErr(changed)).contains("--max-new-tokens '4' (now '3')").contains("--force");
        assertThat(Main.run(args(model, out, "--resume"))).isZero();
    }

    @Test
    void damagedOrForeignCompletionsAreNotReused() throws IOException {
        Path model = TinyChatModel.create(tmp.resolve("tiny"));
        Path out = tmp.resolve("run");
        assertThat(Main.run(args(model, out))).isZero();
        Path f = out.resolve("completions/harmful_baseline.jsonl");
        List<String> lines = Files.readAllLines(f);
        Files.write(f, lines.subList(0, 1));   // cut at a line end: one completion of two
        assertThat(runCapturingErr(args(model, out, "--resume"))).contains("harmful_baseline.jsonl").contains("1 completions");
        Files.writeString(f, lines.get(0).substring(0, 10));   // cut mid-line
        assertThat(runCapturingErr(args(model, out, "--resume"))).contains("harmful_baseline.jsonl").contains("line 1");
        Files.writeString(f, "");
        assertThat(runCapturingErr(args(model, out, "--resume"))).contains("harmful_baseline.jsonl");
        Files.delete(f);   // a missing file is generated again
        assertThat(Main.run(args(model, out, "--resume"))).isZero();
        assertThat(Files.readAllLines(f)).hasSize(2);
    }

    @Test
    void aSecondCommandOnAFolderInUseFailsAtOnce() throws IOException {
        Path model = TinyChatModel.create(tmp.resolve("tiny"));
        Path out = tmp.resolve("run");
        RunConfig c = new RunConfig();
        c.model = model;
        c.out = out;
        c.nTrain = 4;
        c.nVal = 3;
        c.nTest = 2;
        c.quiet = true;
        try (Pipeline first = new Pipeline(c)) {
            first.prepareOutput();
            assertThat(runCapturingErr(args(model, out, "--force"))).contains("in use by another refusal4j command");
        }
        assertThat(Main.run(args(model, out, "--force"))).isZero();   // free again once the first is done
    }

    @Test
    void settingsWithoutMeaningFailBeforeAnyWork() throws IOException {
        Path model = TinyChatModel.create(tmp.resolve("tiny"));
        Path out = tmp.resolve("run");
        assertThat(runCapturingErr(args(model, out, "--max-new-tokens", "-1"))).contains("--max-new-tokens must be at least 1");
        assertThat(runCapturingErr(args(model, out, "--n-train", "0"))).contains("--n-train must be at least 1");
        assertThat(out).doesNotExist();
    }

    @Test
    void aPromptLongerThanTheContextIsAnErrorNotAnOutOfMemory() throws IOException {
        Path model = TinyChatModel.create(tmp.resolve("tiny"));
        Path prompts = tmp.resolve("long.json");
        String huge = "word ".repeat(200_000);
        Files.writeString(prompts, "[{\"instruction\": \"" + huge + "\"}, {\"instruction\": \"hi\"}, {\"instruction\": \"yo\"}]");
        String err = runCapturingErr(args(model, tmp.resolve("run"), "--harmful-test", prompts.toString(), "--n-test", "2"));
        assertThat(err).contains("long.json").contains("context");
    }
}
