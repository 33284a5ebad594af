package dev.refusal4j.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The paper's result on the bundled organism with every default: ablating the selected direction
 * stops refusal of held-out harmful requests, adding it makes held-out harmless requests refused,
 * and the chosen candidate barely disturbs harmless behavior (KL ≤ 0.1).
 */
class OrganismPipelineTest {
    @TempDir
    Path tmp;

    @Test
    void defaultRunReproducesThePaper() throws IOException {
        Path model = Path.of("models", "organism");
        assertThat(model.resolve("model.safetensors")).as("the committed organism").isRegularFile();
        Path out = tmp.resolve("run");
        assertThat(Main.run("run", "--model", model.toString(), "--out", out.toString(), "--quiet")).isZero();
        JsonNode m = Artifacts.readJson(out.resolve("metrics.json"));
        JsonNode rate = m.get("refusal_rate");
        JsonNode dir = Artifacts.readJson(out.resolve("direction.json"));
        System.out.println("organism run: refusal rates " + rate + ", direction " + dir + ", loss " + m.get("loss"));
        assertThat(rate.get("harmful_baseline").asDouble()).isGreaterThanOrEqualTo(0.95);
        assertThat(rate.get("harmful_ablation").asDouble()).isLessThanOrEqualTo(0.05);
        assertThat(rate.get("harmless_baseline").asDouble()).isLessThanOrEqualTo(0.05);
        assertThat(rate.get("harmless_actadd").asDouble()).isGreaterThanOrEqualTo(0.90);
        assertThat(dir.get("kl_score").asDouble()).isLessThanOrEqualTo(0.1);
        assertThat(out.resolve("report.html")).isRegularFile();
        assertThat(Files.readString(out.resolve("report.html"))).contains("layer " + dir.get("layer").asInt() + ", pos " + dir.get("position").asInt());
    }
}
