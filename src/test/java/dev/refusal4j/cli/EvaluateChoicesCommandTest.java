package dev.refusal4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.ProgressListener;
import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.evaluate.ChoiceAccuracy;
import dev.refusal4j.evaluate.ChoiceTask;
import dev.refusal4j.evaluate.GoldenLetters;
import dev.refusal4j.intervene.Interventions;
import dev.refusal4j.io.Json;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class EvaluateChoicesCommandTest {
    @TempDir
    Path tmp;

    /** GoldenLetters' task: acc 2/3, acc_norm 1/3, each log-likelihood from the golden reference (ChoiceAccuracyTest). */
    Path lettersTask() throws Exception {
        return Files.writeString(tmp.resolve("letters.jsonl"), GoldenLetters.task());
    }

    @Test
    void printsLmEvalScoresAsJsonAndTable() throws Exception {
        Path model = GoldenLetters.create(tmp.resolve("m"));
        Path task = lettersTask();
        CliOutput json = CliOutput.run("evaluate-choices", "--model", model.toString(), "--tasks", task.toString(), "--json", "--quiet");
        assertThat(json.exitCode()).isZero();
        JsonNode root = Json.MAPPER.readTree(json.stdout());
        assertThat(root.get("condition").asText()).isEqualTo("baseline");
        JsonNode t = root.get("tasks").get(0);
        assertThat(t.get("task").asText()).isEqualTo("letters");
        assertThat(t.get("n").asInt()).isEqualTo(3);
        assertThat(t.get("acc").asDouble()).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(t.get("acc_norm").asDouble()).isCloseTo(1.0 / 3, within(1e-12));
        assertThat(t.get("acc_stderr").asDouble()).isCloseTo(1.0 / 3, within(1e-12));
        CliOutput one = CliOutput.run("evaluate-choices", "--model", model.toString(), "--tasks", task.toString(), "--limit", "1", "--json", "--quiet");
        JsonNode first = Json.MAPPER.readTree(one.stdout()).get("tasks").get(0);
        assertThat(first.get("n").asInt()).isEqualTo(1);
        assertThat(first.get("acc_stderr").asText()).isEqualTo("N/A");
        CliOutput table = CliOutput.run("evaluate-choices", "--model", model.toString(), "--tasks", task.toString(), "--quiet");
        assertThat(table.exitCode()).isZero();
        assertThat(table.stdout()).contains("acc_norm").containsPattern("letters\\s+3\\s+0\\.6667\\s+0\\.3333\\s+0\\.3333\\s+0\\.3333");
    }

    /** --ablate scores with the direction ablated: the same numbers as the library with the ablation hooks. */
    @Test
    void ablatesTheDirection() throws Exception {
        Path model = GoldenLetters.create(tmp.resolve("m"));
        Path task = lettersTask();
        float[] v = new float[64];
        for (int i = 0; i < v.length; i++) v[i] = (float) Math.cos(3 * i + 1);
        Path dir = tmp.resolve("direction.safetensors");
        RefusalDirection d = new RefusalDirection(v, 1, -1, Map.of("model", "letters"));
        d.write(dir);
        CliOutput out = CliOutput.run("evaluate-choices", "--model", model.toString(), "--tasks", task.toString(), "--direction", dir.toString(),
                "--ablate", "--json", "--quiet");
        assertThat(out.exitCode()).isZero();
        JsonNode t = Json.MAPPER.readTree(out.stdout()).get("tasks").get(0);
        assertThat(Json.MAPPER.readTree(out.stdout()).get("condition").asText()).isEqualTo("ablation");
        try (Transformer m = Transformer.load(model)) {
            float[] unit = d.unit();
            ChoiceAccuracy.Scores s = ChoiceAccuracy.evaluate(ChoiceTask.read(task), m, Tokenizer.load(model),
                    () -> Interventions.ablate(new Hooks(), unit), ProgressListener.NONE);
            assertThat(t.get("acc").asDouble()).isEqualTo(s.acc());
            assertThat(t.get("acc_norm").asDouble()).isEqualTo(s.accNorm());
        }
    }

    /** Bad task files and options: exit code 1 and one line naming the file and line, no stack trace. */
    @Test
    void badInputIsOneClearError() throws Exception {
        Path model = GoldenLetters.create(tmp.resolve("m"));
        String[][] files = {
                {"empty.jsonl", "\n\n", "empty.jsonl has no questions"},
                {"broken.jsonl", "{\"question\": \"a\", \"choices\": [\"b\", \"c\"], \"gold\": 0}\n{\"question\": \"a\", \"choices\": [\n", "broken.jsonl, line 2: not valid JSON"},
                {"gold.jsonl", "{\"question\": \"a\", \"choices\": [\"b\", \"c\"], \"gold\": 2}\n", "gold.jsonl, line 1: gold 2 is out of range"},
                {"one.jsonl", "{\"question\": \"a\", \"choices\": [\"b\"], \"gold\": 0}\n", "one.jsonl, line 1: 1 choice, a question needs at least 2"},
                {"nogold.jsonl", "{\"question\": \"a\", \"choices\": [\"b\", \"c\"]}\n", "nogold.jsonl, line 1: no \"gold\""},
                {"long.jsonl", "{\"question\": \"" + "a".repeat(2100) + "\", \"choices\": [\"b\", \"c\"], \"gold\": 0}\n", "long.jsonl, line 1: the question is 2100 tokens, longer than the context of 2048"},
        };
        for (String[] f : files) {
            Path p = tmp.resolve(f[0]);
            Files.writeString(p, f[1]);
            String err = stderrOf(1, "evaluate-choices", "--model", model.toString(), "--tasks", p.toString(), "--quiet");
            assertThat(err).as(f[0]).contains("error: ").contains(f[2]).doesNotContain("\tat ");
        }
        Path ok = lettersTask();
        assertThat(stderrOf(1, "evaluate-choices", "--model", model.toString(), "--tasks", ok.toString(), "--temperature", "0.7"))
                .contains("--temperature does not apply");
        assertThat(stderrOf(1, "evaluate-choices", "--model", model.toString(), "--tasks", ok.toString(), "--ablate"))
                .contains("--ablate and --add need --direction");
        assertThat(stderrOf(1, "evaluate-choices", "--model", model.toString(), "--tasks", ok.toString(), "--limit", "0"))
                .contains("--limit 0");
    }

    static String stderrOf(int expectedExit, String... args) {
        PrintStream saved = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            assertThat(CliOutput.run(args).exitCode()).as(String.join(" ", args)).isEqualTo(expectedExit);
        } finally {
            System.setErr(saved);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }
}
