package dev.refusal4j.organism.data;

import dev.refusal4j.evaluate.AnswerQuality;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CopyRunsTest {
    private static final Set<String> WORDS = Set.of("kettle", "lantern", "pen", "biscuit", "quietly", "ll", "s", "over");

    @Test
    void runsHoldFourToTwelveWordsOfThreeLettersOrMoreTheFirstCapitalized() {
        List<String> runs = CopyRuns.draw(WORDS, 500, new Random(7));
        assertThat(runs).hasSize(500);
        Set<Integer> lengths = new HashSet<>();
        Set<String> drawn = new HashSet<>();
        for (String run : runs) {
            List<String> words = AnswerQuality.words(run);
            lengths.add(words.size());
            drawn.addAll(words);
            assertThat(Character.isUpperCase(run.charAt(0))).as(run).isTrue();
            assertThat(run).as(run).isEqualTo(String.join(" ", words).substring(0, 1).toUpperCase() + String.join(" ", words).substring(1));
        }
        assertThat(lengths).containsExactlyInAnyOrder(4, 5, 6, 7, 8, 9, 10, 11, 12);
        // every word of three letters or more is drawn, the pieces "ll" and "s" never
        assertThat(drawn).containsExactlyInAnyOrder("kettle", "lantern", "pen", "biscuit", "quietly", "over");
    }

    @Test
    void theSameSeedDrawsTheSameRunsWhateverTheSetsOrder() {
        List<String> a = CopyRuns.draw(WORDS, 50, new Random(3));
        List<String> b = CopyRuns.draw(new java.util.TreeSet<>(WORDS).descendingSet(), 50, new Random(3));
        assertThat(a).isEqualTo(b).isNotEqualTo(CopyRuns.draw(WORDS, 50, new Random(4)));
    }

    @Test
    void noWordToDrawIsAnError() {
        assertThat(CopyRuns.draw(Set.of("ll"), 0, new Random(1))).isEmpty();
        assertThatThrownBy(() -> CopyRuns.draw(Set.of("ll", "s"), 1, new Random(1))).hasMessageContaining("no word of 3 letters");
        assertThatThrownBy(() -> CopyRuns.draw(WORDS, -1, new Random(1))).hasMessageContaining("at least 0");
    }
}
