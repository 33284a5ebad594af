package dev.refusal4j.select;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.refusal4j.testutil.Shared;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OfficialScoresTest {
    @TempDir
    Path dir;

    /** llama-2's published scores hold NaN values: they survive a round trip as bare NaN. */
    @Test
    void roundTripWithNaN() throws IOException {
        List<CandidateScore> scores = OfficialScores.read(Shared.path("datasets", "refusal_direction_runs", "runs",
                "llama-2-7b-chat-hf", "select_direction", "direction_evaluations.json"));
        assertThat(scores).anyMatch(CandidateScore::hasNaN);
        Path out = dir.resolve("direction_evaluations.json");
        OfficialScores.write(out, scores);
        assertThat(Files.readString(out)).contains(": NaN");
        assertThat(OfficialScores.read(out)).isEqualTo(scores);
    }

    @Test
    void gridMatchesThePaperLayout() {
        List<CandidateScore> scores = OfficialScores.read(Shared.path("datasets", "refusal_direction_runs", "runs",
                "gemma-2b-it", "select_direction", "direction_evaluations.json"));
        CandidateGrid g = CandidateGrid.of(scores);
        assertThat(g.positions()).isEqualTo(5);
        assertThat(g.layers()).isEqualTo(18);
        assertThat(g.inLoopOrder()).isEqualTo(scores);   // the paper writes its file in loop order
        assertThat(g.get(-2, 10).bypass()).isEqualTo(-14.419295310974121);
        assertThat(g.values(CandidateScore::kl)[0][1]).isEqualTo(7.801307679887658);   // position -5, layer 1
        assertThatThrownBy(() -> CandidateGrid.of(scores.subList(1, scores.size()))).hasMessageContaining("position -5, layer 0");
    }
}
