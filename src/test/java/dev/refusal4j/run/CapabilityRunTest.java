package dev.refusal4j.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.cli.Main;
import dev.refusal4j.evaluate.TinyGuardModel;
import dev.refusal4j.io.Json;
import dev.refusal4j.testutil.TinyChatModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The paper's second judge and its corpus loss, end to end through run: labels in the completions files, both judges' rates in metrics.json. */
class CapabilityRunTest {
    @TempDir
    Path tmp;

    @Test
    void aModelJudgeLabelsTheHarmfulCompletionsAndACorpusIsScoredUnderEachCondition() throws IOException {
        Path model = TinyChatModel.create(tmp.resolve("tiny"));
        Path guard = TinyGuardModel.withGuardTemplate(tmp.resolve("guard"));
        Path corpus = Files.writeString(tmp.resolve("corpus.txt"), "The sea is wide and blue.\nBread needs flour, water and time.\n");
        Path out = tmp.resolve("run");
        assertThat(Main.run("run", "--model", model.toString(), "--out", out.toString(), "--n-train", "4", "--n-val", "3", "--n-test", "2",
                "--max-new-tokens", "4", "--no-filter", "--batch-size", "4", "--quiet", "--judge-model", guard.toString(),
                "--loss-corpus", corpus.toString())).isZero();
        JsonNode m = Json.read(out.resolve("metrics.json"));
        assertThat(m.get("jailbreak_rate_guard").size()).isEqualTo(3);     // the three harmful sets
        assertThat(m.get("judge_agreement").size()).isEqualTo(3);
        assertThat(m.get("loss_corpus").get("baseline").asDouble()).isPositive();
        assertThat(m.get("loss_corpus").has("ablation") && m.get("loss_corpus").has("actadd")).isTrue();
        for (String line : Files.readAllLines(out.resolve("completions/harmful_baseline.jsonl"))) {
            assertThat(Json.MAPPER.readTree(line).get("guard").asText()).matches("safe|unsafe.*");
        }
        assertThat(Files.readString(out.resolve("completions/harmless_baseline.jsonl"))).doesNotContain("\"guard\"");
        assertThat(Files.readString(out.resolve("report.html"))).contains("Llama Guard");
    }
}
