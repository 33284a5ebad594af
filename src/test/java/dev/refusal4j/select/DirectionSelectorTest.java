package dev.refusal4j.select;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class DirectionSelectorTest {
    private static CandidateScore c(int pos, int layer, double bypass, double induce, double kl) {
        return new CandidateScore(pos, layer, bypass, induce, kl);
    }

    @Test
    void eachFilterAndLowestBypassWins() {
        // 10 layers: layers >= int(10 * 0.8) = 8 are pruned
        List<CandidateScore> all = List.of(
                c(-1, 8, -20, 5, 0.01),          // pruned layer
                c(-1, 2, -15, 5, 0.2),           // KL too high
                c(-1, 3, -14, -0.5, 0.01),       // induce below 0
                c(-2, 4, Double.NaN, 5, 0.01),   // NaN
                c(-2, 5, -3, 1, 0.1),            // kept: KL equal to the threshold passes, as in the official '>'
                c(-1, 6, -4, 0.0, 0.05));        // kept: induce equal to 0 passes ('<')
        Selection s = DirectionSelector.select(all, 10, SelectionCriteria.PAPER);
        assertThat(s.chosen()).isEqualTo(all.get(5));
        assertThat(s.kept()).containsExactly(all.get(5), all.get(4));
        assertThat(s.discarded()).containsEntry(Filter.LAYER, 1).containsEntry(Filter.KL, 1)
                .containsEntry(Filter.INDUCE, 1).containsEntry(Filter.NAN, 1);
    }

    @Test
    void pruneUsesPythonIntTruncation() {
        // 18 layers * 0.8 = 14.4 -> int 14: layer 13 kept, layer 14 pruned
        assertThat(SelectionCriteria.PAPER.firstPrunedLayer(18)).isEqualTo(14);
        assertThat(SelectionCriteria.PAPER.firstPrunedLayer(32)).isEqualTo(25);   // 25.6 -> 25
        assertThat(new SelectionCriteria(null, null, 0.0).firstPrunedLayer(24)).isEqualTo(24);
    }

    @Test
    void tiesGoToTheFirstInOfficialLoopOrder() {
        List<CandidateScore> all = List.of(c(-1, 0, -5, 1, 0), c(-2, 3, -5, 1, 0), c(-2, 1, -5, 1, 0));
        assertThat(DirectionSelector.select(all, 10, SelectionCriteria.PAPER).chosen()).isEqualTo(all.get(2));
    }

    @Test
    void noFilterKeepsEverythingButNaN() {
        List<CandidateScore> all = List.of(c(-1, 9, -9, -3, 7), c(-1, 1, Double.NaN, 0, 0), c(-1, 2, -1, -3, 7));
        Selection s = DirectionSelector.select(all, 10, SelectionCriteria.NONE);
        assertThat(s.chosen()).isEqualTo(all.get(0));
        assertThat(s.kept()).hasSize(2);
    }

    @Test
    void allFilteredSaysWhichFilterRemovedHowManyAndWhatToTry() {
        List<CandidateScore> all = List.of(c(-1, 9, -9, 3, 0.01), c(-1, 1, -2, 3, 0.5), c(-1, 2, -1, -3, 0.02), c(-2, 3, -1, -2, 0.3));
        assertThatThrownBy(() -> DirectionSelector.select(all, 10, SelectionCriteria.PAPER))
                .isInstanceOf(NoCandidateLeftException.class)
                .hasMessageContaining("all 4 candidate directions were filtered out")
                .hasMessageContaining("0 had a NaN score")
                .hasMessageContaining("1 came from layers >= 8 of 10")
                .hasMessageContaining("2 had KL > 0.1")
                .hasMessageContaining("1 had an induce score < 0.0")
                .hasMessageContaining("lowest KL among the remaining layers is 0.02")
                .hasMessageContaining("highest induce score not removed by KL is -3")
                .hasMessageContaining("--no-filter");
    }

    @Test
    void nanCandidatesAtLayerZeroAreExplained() {
        List<CandidateScore> all = List.of(c(-1, 0, Double.NaN, Double.NaN, Double.NaN), c(-2, 0, Double.NaN, Double.NaN, Double.NaN),
                c(-1, 3, Double.NaN, 1, 0.01), c(-1, 2, -1, -3, 0.02));
        assertThatThrownBy(() -> DirectionSelector.select(all, 10, SelectionCriteria.PAPER))
                .hasMessageContaining("3 had a NaN score (2 at layer 0, where each position holds its template token's embedding");
        List<CandidateScore> elsewhere = List.of(c(-1, 3, Double.NaN, 1, 0.01), c(-1, 2, -1, -3, 0.02));
        assertThatThrownBy(() -> DirectionSelector.select(elsewhere, 10, SelectionCriteria.PAPER))
                .hasMessageContaining("1 had a NaN score, ").hasMessageNotContaining("layer 0");
    }

    @Test
    void badInput() {
        assertThatThrownBy(() -> DirectionSelector.select(List.of(), 10, SelectionCriteria.PAPER)).hasMessageContaining("no candidate");
        assertThatThrownBy(() -> DirectionSelector.select(List.of(c(-1, 12, 0, 0, 0)), 10, SelectionCriteria.PAPER))
                .hasMessageContaining("layer 12 is outside the model's 10 layers");
        assertThatThrownBy(() -> c(0, 1, 0, 0, 0)).hasMessageContaining("negative");
        assertThatThrownBy(() -> new SelectionCriteria(0.1, 0.0, 1.5)).hasMessageContaining("[0, 1]");
    }
}
