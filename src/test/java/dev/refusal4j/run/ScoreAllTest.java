package dev.refusal4j.run;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.cli.Main;
import dev.refusal4j.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code select} on the organism with the paper's filters scores only what can be selected: the
 * pruned layers not at all, and a candidate the induce filter removes without its ablation pass.
 * {@code select --score-all} on the same folder scores everything; the direction is the same file,
 * and every score the first computed is the second's, bit for bit (JSON numbers round-trip).
 */
class ScoreAllTest {
    private static final String[] SCORES = {"bypass_score", "induce_score", "kl_score"};

    @TempDir
    Path tmp;

    @Test
    void selectionWithoutScoreAllComputesASubsetOfTheSameScores() throws IOException {
        Path out = tmp.resolve("run");
        String[] common = {"--model", "models/organism", "--out", out.toString(), "--n-train", "32", "--n-val", "16", "--n-test", "2", "--quiet"};
        assertThat(Main.run(concat("directions", common))).isZero();
        assertThat(Main.run(concat("select", common))).isZero();
        JsonNode some = Json.read(out.resolve("candidates.json"));
        byte[] direction = Files.readAllBytes(out.resolve("direction.safetensors"));
        assertThat(Json.read(out.resolve("run.json")).get("--score-all").asText()).isEqualTo("false");

        // the same folder: --score-all may change on a resumed run, it decides only how much of candidates.json is scored
        String[] all = concat("select", common);
        all = java.util.Arrays.copyOf(all, all.length + 1);
        all[all.length - 1] = "--score-all";
        assertThat(Main.run(all)).isZero();
        JsonNode full = Json.read(out.resolve("candidates.json"));
        assertThat(Json.read(out.resolve("run.json")).get("--score-all").asText()).isEqualTo("true");

        assertThat(Files.readAllBytes(out.resolve("direction.safetensors"))).as("direction.safetensors").isEqualTo(direction);
        assertThat(some.get("selected")).isEqualTo(full.get("selected"));
        int L = some.get("num_layers").asInt(), pruned = (int) (L * 0.8);
        Map<String, JsonNode> byCell = new HashMap<>();
        for (JsonNode c : full.get("candidates")) byCell.put(cell(c), c);
        int computed = 0, skipped = 0;
        for (JsonNode c : some.get("candidates")) {
            JsonNode f = byCell.get(cell(c));
            String verdict = c.get("filtered").isNull() ? null : c.get("filtered").asText();
            for (String k : SCORES) {
                assertThat(f.get(k).isNull()).as(cell(c) + " " + k + " with --score-all is null only when NaN")
                        .isEqualTo("nan".equals(f.get("filtered").asText(null)));
                if (c.get(k).isNull()) {
                    if (!"nan".equals(verdict)) skipped++;
                    assertThat(verdict).as(cell(c) + " " + k + " not scored: the candidate was removed").isNotNull();
                } else {
                    computed++;
                    assertThat(c.get(k).doubleValue()).as(cell(c) + " " + k).isEqualTo(f.get(k).doubleValue());
                }
            }
            if (c.get("layer").asInt() >= pruned) {
                assertThat(verdict).as(cell(c)).isIn("layer >= " + pruned, "nan");
                if (!"nan".equals(verdict)) for (String k : SCORES) assertThat(c.get(k).isNull()).as(cell(c) + " pruned: " + k).isTrue();
            }
            assertThat(verdict == null).as(cell(c) + " kept by both or neither").isEqualTo(f.get("filtered").isNull());
        }
        System.out.printf("organism: %d scores computed, %d left out of %d%n", computed, skipped, computed + skipped);
        assertThat(skipped).as("scores left out without --score-all").isGreaterThan(computed);
    }

    private static String cell(JsonNode c) {
        return "(" + c.get("position").asInt() + ", " + c.get("layer").asInt() + ")";
    }

    private static String[] concat(String command, String[] rest) {
        String[] out = new String[rest.length + 1];
        out[0] = command;
        System.arraycopy(rest, 0, out, 1, rest.length);
        return out;
    }
}
