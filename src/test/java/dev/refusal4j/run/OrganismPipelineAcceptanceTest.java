package dev.refusal4j.run;

import dev.refusal4j.io.Json;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Acceptance gate on the bundled organism: the README's main command reproduces the paper's effect
 * with the paper's default thresholds — ablating the selected direction stops refusal of held-out
 * harmful requests, adding it makes held-out harmless requests refused, KL <= 0.1. The bounds leave
 * a little room for another CPU's float summation order; the measured rates are printed. (The
 * pipeline's mechanics are unit-tested on a tiny random model in PipelinePlumbingTest.)
 */
class OrganismPipelineAcceptanceTest {
    @TempDir
    Path tmp;

    @Test
    void ablationAndAdditionFlipRefusal() throws IOException {
        Path out = tmp.resolve("run");
        assertThat(Main.run("run", "--model", "models/organism", "--out", out.toString(), "--quiet")).isZero();
        JsonNode rate = Json.read(out.resolve("metrics.json")).get("refusal_rate");
        JsonNode dir = Json.read(out.resolve("direction.json"));
        System.out.println("organism run: refusal rates " + rate + ", direction " + dir);
        JsonNode quality = Json.read(out.resolve("metrics.json")).get("answer_quality");
        System.out.println("organism run: answer quality " + quality);
        assertThat(quality.size()).isEqualTo(5);
        assertThat(rate.get("harmful_baseline").asDouble()).isGreaterThanOrEqualTo(0.88);
        assertThat(rate.get("harmful_ablation").asDouble()).isLessThanOrEqualTo(0.07);
        assertThat(rate.get("harmless_baseline").asDouble()).isLessThanOrEqualTo(0.05);
        assertThat(rate.get("harmless_actadd").asDouble()).isGreaterThanOrEqualTo(0.90);
        assertThat(dir.get("kl_score").asDouble()).isLessThanOrEqualTo(0.1);
        assertThat(out.resolve("report.html")).isRegularFile();
    }
}
