package dev.refusal4j.select;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refusal4j.testutil.Shared;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Given the published candidate scores of each model, selection must pick the published direction
 * and keep exactly the published filtered list, in its order.
 */
class OfficialSelectionAgreementTest {
    @Test
    void picksThePublishedDirectionForEveryModel() throws IOException {
        ObjectMapper json = new ObjectMapper();
        int models = 0;
        for (String model : List.of("gemma-2b-it", "llama-2-7b-chat-hf", "qwen-1_8b-chat")) {
            Path run = Shared.path("datasets", "refusal_direction_runs", "runs", model);
            List<CandidateScore> scores = OfficialScores.read(run.resolve("select_direction/direction_evaluations.json"));
            int nLayers = scores.stream().mapToInt(CandidateScore::layer).max().orElseThrow() + 1;
            int nPositions = (int) scores.stream().mapToInt(CandidateScore::position).distinct().count();
            assertThat(scores).hasSize(nLayers * nPositions);

            Selection s = DirectionSelector.select(scores, nLayers, SelectionCriteria.PAPER);

            JsonNode meta = json.readTree(run.resolve("direction_metadata.json").toFile());
            assertThat(s.chosen().position()).as(model).isEqualTo(meta.get("pos").asInt());
            assertThat(s.chosen().layer()).as(model).isEqualTo(meta.get("layer").asInt());

            JsonNode filtered = json.readTree(run.resolve("select_direction/direction_evaluations_filtered.json").toFile());
            assertThat(s.kept()).as(model).hasSize(filtered.size());
            for (int i = 0; i < filtered.size(); i++) {
                JsonNode f = filtered.get(i);
                CandidateScore k = s.kept().get(i);
                assertThat(k.position()).isEqualTo(f.get("position").asInt());
                assertThat(k.layer()).isEqualTo(f.get("layer").asInt());
                assertThat(k.bypass()).isEqualTo(f.get("refusal_score").asDouble());
            }
            int discarded = s.discarded().values().stream().mapToInt(Integer::intValue).sum();
            assertThat(discarded + s.kept().size()).isEqualTo(scores.size());
            System.out.printf("%s: picked pos %d layer %d of %d candidates (%d kept, discarded %s)%n", model,
                    s.chosen().position(), s.chosen().layer(), scores.size(), s.kept().size(), s.discarded());
            models++;
        }
        assertThat(models).isEqualTo(3);
    }
}
