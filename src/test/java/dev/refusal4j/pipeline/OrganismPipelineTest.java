package dev.refusal4j.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The paper's effect on the bundled organism, end to end with the README's main command: ablating
 * the selected direction stops refusal of held-out harmful requests and adding it makes held-out
 * harmless requests refused. The organism's best direction has KL 0.20, so the run uses
 * --kl-threshold 0.25 (the paper's 0.1 filters every candidate of this organism; issue 5).
 */
class OrganismPipelineTest {
    @TempDir
    Path tmp;

    @Test
    void ablationAndAdditionFlipRefusal() throws IOException {
        Path out = tmp.resolve("run");
        assertThat(Main.run("run", "--model", "models/organism", "--out", out.toString(), "--kl-threshold", "0.25", "--quiet")).isZero();
        JsonNode rate = Artifacts.readJson(out.resolve("metrics.json")).get("refusal_rate");
        JsonNode dir = Artifacts.readJson(out.resolve("direction.json"));
        System.out.println("organism run: refusal rates " + rate + ", direction " + dir);
        assertThat(rate.get("harmful_baseline").asDouble()).isGreaterThanOrEqualTo(0.95);
        assertThat(rate.get("harmful_ablation").asDouble()).isLessThanOrEqualTo(0.05);
        assertThat(rate.get("harmless_actadd").asDouble()).isGreaterThanOrEqualTo(0.90);
        assertThat(dir.get("kl_score").asDouble()).isLessThanOrEqualTo(0.25);
        assertThat(out.resolve("report.html")).isRegularFile();
    }
}
